package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"oversight/internal/auth"
	"oversight/internal/bulk"
	"oversight/internal/registry"
)

const exportUsage = `Usage:
  oversight export [--format ndjson|csv|ftm] [--out PATH]
                      export the published registry (published and retracted
                      entries, confidential details redacted as for anonymous
                      readers); see internal/bulk/FORMAT.md
    ndjson            one line per entry with its history (the default); --out
                      a file, or - for standard output (the default)
    ftm               FollowTheMoney entities, one per line; --out as ndjson
    csv               one file per table; --out a directory (required),
                      created if missing
`

const importUsage = `Usage:
  oversight import --as EMAIL [--submit] [--title TITLE] FILE
                      propose the entries of an ndjson file (FILE, or - for
                      standard input) as ONE draft submission by that user;
                      --submit also submits it for review. Nothing is written
                      when any line has a mistake.
  oversight import --restore FILE
                      load an ndjson export, with its history, into an EMPTY
                      registry, keeping IDs, versions and timestamps (moving a
                      registry between servers; run it before the first serve)
`

func exportCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var f dbFlags
	fs := accountFlags("export", exportUsage, &f, getenv, stderr)
	format := fs.String("format", "ndjson", "ndjson, csv or ftm")
	out := fs.String("out", "", "file (ndjson, ftm; default standard output) or directory (csv)")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return usageError{fmt.Sprintf("export takes no arguments, got %q", fs.Arg(0))}
	}
	switch *format {
	case "ndjson", "ftm":
	case "csv":
		if *out == "" || *out == "-" {
			fs.Usage()
			return usageError{"export --format csv needs --out DIRECTORY"}
		}
	default:
		fs.Usage()
		return usageError{fmt.Sprintf("--format %q: want ndjson, csv or ftm", *format)}
	}
	pool, _, closeDB, err := openDatabase(ctx, f, newLogger(stderr))
	if err != nil {
		return err
	}
	defer closeDB()
	return bulk.NewExporter(pool).Read(ctx, func(v *bulk.View) error {
		write := func(w io.Writer) error {
			if *format == "ftm" {
				return v.WriteFtM(ctx, w)
			}
			return v.WriteNDJSON(ctx, w)
		}
		switch {
		case *format == "csv":
			if err := v.WriteCSVDir(ctx, *out); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "exported %d CSV files to %s\n", len(bulk.CSVFiles()), *out)
			return nil
		case *out == "" || *out == "-":
			bw := bufio.NewWriterSize(stdout, 1<<16)
			if err := write(bw); err != nil {
				return err
			}
			return bw.Flush()
		default:
			return bulk.WriteFile(*out, func(w io.Writer) error {
				bw := bufio.NewWriterSize(w, 1<<16)
				if err := write(bw); err != nil {
					return err
				}
				return bw.Flush()
			})
		}
	})
}

func importCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var f dbFlags
	fs := accountFlags("import", importUsage, &f, getenv, stderr)
	as := fs.String("as", "", "the email of the user the submission is by")
	submit := fs.Bool("submit", false, "also submit the submission for review")
	title := fs.String("title", "", "the submission's title (default: Bulk import of FILE)")
	restore := fs.Bool("restore", false, "load an export into an empty registry instead")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{"import needs exactly one FILE (or - for standard input)"}
	}
	if *restore == (*as != "") {
		fs.Usage()
		return usageError{"import needs either --as EMAIL or --restore"}
	}
	if *restore && (*submit || *title != "") {
		fs.Usage()
		return usageError{"--submit and --title go with --as, not --restore"}
	}
	name := fs.Arg(0)
	in := io.Reader(os.Stdin)
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		defer file.Close()
		in = file
	}
	in = bufio.NewReaderSize(in, 1<<16)
	pool, _, closeDB, err := openDatabase(ctx, f, newLogger(stderr))
	if err != nil {
		return err
	}
	defer closeDB()

	if *restore {
		res, err := bulk.Restore(ctx, pool, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "restored %d entries, %d versions, %d change events, %d citations\n", res.Entries, res.Versions, res.Events, res.Citations)
		return nil
	}

	u, err := auth.NewStore(pool).UserByEmail(ctx, *as)
	if errors.Is(err, auth.ErrUnknownUser) {
		return fmt.Errorf("--as %s: no such user", *as)
	}
	if err != nil {
		return err
	}
	if u.DisabledAt != nil {
		return fmt.Errorf("--as %s: the account is disabled", *as)
	}
	if *title == "" {
		*title = "Bulk import of " + name
		if name == "-" {
			*title = "Bulk import"
		}
	}
	res, err := bulk.Import(ctx, pool, registry.Viewer{UserID: u.ID, Role: u.Role}, in, bulk.ImportOptions{Title: *title, Submit: *submit})
	if err != nil {
		return err
	}
	state := "draft"
	if res.Submitted {
		state = "submitted for review"
	}
	fmt.Fprintf(stdout, "submission %s (%s), %s: %d changes (%d created, %d updated, %d retracted), %d lines unchanged\n",
		res.SubmissionID, bulk.SubmissionGlobalID(res.SubmissionID), state, res.Changes(), res.Created, res.Updated, res.Retracted, res.Unchanged)
	return nil
}
