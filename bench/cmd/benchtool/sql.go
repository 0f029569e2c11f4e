package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"oversight/bench"
)

// captureCmd runs one request through Oversight's handler, in process, and
// writes the SQL it sent as JSON lines {text, values}.
func captureCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("capture", flag.ContinueOnError)
	db := fs.String("db", "", "database URL")
	body := fs.String("body", "", "request body file")
	out := fs.String("out", "", "where to write the statements")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*body)
	if err != nil {
		return err
	}
	srv, err := bench.NewServer(ctx, *db)
	if err != nil {
		return err
	}
	defer srv.Close()
	// The first request warms the pool and the caches (and, for a common
	// search, computes the page the server keeps): its time is the cold
	// cost; the statements captured are those of the requests after it.
	start := time.Now()
	if _, err := srv.Post(string(b)); err != nil {
		return err
	}
	cold := time.Since(start)
	srv.Tracer.Record()
	if _, err := srv.Post(string(b)); err != nil {
		return err
	}
	stmts := srv.Tracer.Stop()
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, s := range stmts {
		if err := enc.Encode(s); err != nil {
			f.Close()
			return err
		}
	}
	fmt.Printf("%d statements; the first request, caches cold, took %.0f ms\n", len(stmts), cold.Seconds()*1000)
	return f.Close()
}

type captured struct {
	Text   string `json:"text"`
	Values []any  `json:"values"`
}

var placeholderRE = regexp.MustCompile(`\$([0-9]+)`)

// literal writes a captured argument as an SQL literal: strings quoted,
// lists as array literals, objects as JSON text.
func literal(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return "'" + strconv.FormatFloat(x, 'f', -1, 64) + "'"
	case string:
		return quote(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			switch y := e.(type) {
			case nil:
				parts[i] = "NULL"
			case string:
				parts[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(y) + `"`
			default:
				b, _ := json.Marshal(y)
				parts[i] = string(b)
			}
		}
		return quote("{" + strings.Join(parts, ",") + "}")
	default:
		b, _ := json.Marshal(x)
		return quote(string(b))
	}
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// inline replaces $N placeholders with the captured values.
func inline(c captured) (string, error) {
	var bad error
	sql := placeholderRE.ReplaceAllStringFunc(c.Text, func(m string) string {
		n, _ := strconv.Atoi(m[1:])
		if n < 1 || n > len(c.Values) {
			bad = fmt.Errorf("placeholder %s of %d values", m, len(c.Values))
			return m
		}
		return literal(c.Values[n-1])
	})
	return strings.TrimRight(strings.TrimSpace(sql), ";"), bad
}

// replayCmd writes a pgbench script of the captured statements (one request's
// SQL, in order) with their values inlined, runs it once, and checks that
// every ID in the answer appears in what the SQL returned.
func replayCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	db := fs.String("db", "", "database URL")
	in := fs.String("in", "", "captured statements (JSON lines)")
	script := fs.String("script", "", "pgbench script to write")
	answer := fs.String("answer", "", "a response whose IDs the SQL must return")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	var stmts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var c captured
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return err
		}
		// Session set-up (PostGraphile's "set jit_optimize_above_cost" on a
		// new connection) is not part of a request's work.
		if low := strings.ToLower(strings.TrimSpace(c.Text)); strings.HasPrefix(low, "set ") || strings.HasPrefix(low, "select set_config") {
			continue
		}
		s, err := inline(c)
		if err != nil {
			return err
		}
		stmts = append(stmts, s)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(stmts) == 0 {
		return errors.New("no statements captured")
	}
	if err := os.WriteFile(*script, []byte(strings.Join(stmts, ";\n")+";\n"), 0o644); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, *db)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	got := map[string]bool{}
	rowsN := 0
	for i, s := range stmts {
		rows, err := conn.Query(ctx, s, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			return fmt.Errorf("statement %d: %w", i+1, err)
		}
		for rows.Next() {
			rowsN++
			for _, raw := range rows.RawValues() {
				for _, id := range uuidRE.FindAllString(string(raw), -1) {
					got[id] = true
				}
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("statement %d: %w", i+1, err)
		}
	}
	fmt.Printf("%d statements, %d rows, %d distinct IDs\n", len(stmts), rowsN, len(got))
	if *answer == "" {
		return nil
	}
	data, err := readResponse(*answer)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	answerIDs(normalise(data), want)
	var missing []string
	for id := range want {
		if !got[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the replayed SQL lacks %d of the answer's %d IDs, e.g. %s", len(missing), len(want), missing[0])
	}
	fmt.Printf("the replayed SQL returns all %d IDs of the answer\n", len(want))
	return nil
}
