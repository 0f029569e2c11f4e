package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oversight/internal/bulk"
	"oversight/internal/pgtest"
)

func TestBulkCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, dst := pgtest.URL(t), pgtest.URL(t)
	dir := t.TempDir()

	oversight := func(dbURL string, args ...string) (stdout, stderr string, exit int) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := run(ctx, args, env(map[string]string{"DATABASE_URL": dbURL}), &out, &errOut)
		if err != nil {
			errOut.WriteString("oversight: " + err.Error() + "\n")
			exit = exitCode(err)
		}
		return out.String(), errOut.String(), exit
	}
	ok := func(dbURL string, args ...string) string {
		t.Helper()
		stdout, stderr, exit := oversight(dbURL, args...)
		if exit != 0 {
			t.Fatalf("oversight %s exited %d:\n%s", strings.Join(args, " "), exit, stderr)
		}
		return stdout
	}
	fails := func(dbURL string, wantExit int, wantMsg string, args ...string) {
		t.Helper()
		_, stderr, exit := oversight(dbURL, args...)
		if exit != wantExit || !strings.Contains(stderr, wantMsg) {
			t.Errorf("oversight %s = exit %d, stderr %q; want exit %d and %q", strings.Join(args, " "), exit, stderr, wantExit, wantMsg)
		}
	}

	ok(src, "seed")
	ok(src, "user", "add", "--name", "Importer", "--email", "imp@example.org", "--role", "contributor")
	file := filepath.Join(dir, "registry.ndjson")
	ok(src, "export", "--out", file)
	stdout := ok(src, "export", "--format", "ndjson")
	exported, err := os.ReadFile(file)
	if err != nil || !bytes.Equal(exported, []byte(stdout)) {
		t.Fatalf("export --out and export to standard output differ (%v)", err)
	}
	ok(src, "export", "--format", "csv", "--out", filepath.Join(dir, "csv"))
	for _, name := range bulk.CSVFiles() {
		if _, err := os.Stat(filepath.Join(dir, "csv", name+".csv")); err != nil {
			t.Errorf("export --format csv: %v", err)
		}
	}
	if ftm := ok(src, "export", "--format", "ftm"); !strings.Contains(ftm, `"schema":"Sanction"`) {
		t.Errorf("export --format ftm has no Sanction")
	}

	out := ok(dst, "import", "--restore", file)
	if !strings.HasPrefix(out, "restored ") {
		t.Errorf("import --restore printed %q", out)
	}
	if again := ok(dst, "export"); again != stdout {
		t.Errorf("the export of the restored registry differs from the original")
	}
	fails(dst, 1, "not empty", "import", "--restore", file)

	bad := filepath.Join(dir, "bad.ndjson")
	if err := os.WriteFile(bad, []byte(`{"type":"VENDOR","fields":{"name":"Good"}}`+"\n"+`{"type":"VENDOR","fields":{"name":"Bad","website":"ftp://x"}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fails(src, 1, `line 2: input.website: "ftp://x" is not an absolute http or https URL`, "import", "--as", "imp@example.org", bad)
	good := filepath.Join(dir, "good.ndjson")
	if err := os.WriteFile(good, []byte(`{"type":"VENDOR","fields":{"name":"Good Vision"}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := ok(src, "import", "--as", "IMP@example.org", "--submit", good); !strings.Contains(out, "submitted for review: 1 changes (1 created") {
		t.Errorf("import --submit printed %q", out)
	}
	fails(src, 1, "no such user", "import", "--as", "nobody@example.org", good)

	fails(src, 2, "--format csv needs --out", "export", "--format", "csv")
	fails(src, 2, `--format "xml"`, "export", "--format", "xml")
	fails(src, 2, "either --as EMAIL or --restore", "import", good)
	fails(src, 2, "exactly one FILE", "import", "--restore")
}
