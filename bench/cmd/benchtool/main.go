// Command benchtool is the Go side of the benchmark harness (bench/run.sh):
// it builds request bodies, normalises answers so targets can be compared,
// captures and replays SQL for the pgbench lower bounds, paces a mixed load at
// a fixed arrival rate, generates import files and summarises the rounds.
// It talks to loopback addresses and the benchmark database only.
package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

const usage = `Usage: benchtool COMMAND [flags]

  body QUERY.graphql VARIABLES_JSON      print a GraphQL POST body
  norm FILE                              print a response normalised for comparison
  capture -db URL -body FILE -out FILE   run a body through Oversight's handler in
                                         process; record its SQL (JSON lines)
  replay -db URL -in CAPTURE -script OUT [-answer FILE]
                                         turn captured SQL into a pgbench script; run
                                         it once and check every ID of the answer is
                                         in its results
  load -url URL -mix NAME=FILE:WEIGHT,... -rate N -duration D -conns C
                                         a fixed arrival rate; latency percentiles
  genimport -n N -out FILE -prefix P     ndjson lines creating N sources
  summary -in RESULTS.jsonl              the table of medians, ranges and ratios
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "body":
		err = bodyCmd(args)
	case "norm":
		err = normCmd(args)
	case "capture":
		err = captureCmd(ctx, args)
	case "replay":
		err = replayCmd(ctx, args)
	case "load":
		err = loadCmd(ctx, args)
	case "genimport":
		err = genImportCmd(args)
	case "summary":
		err = summaryCmd(args)
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchtool %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
