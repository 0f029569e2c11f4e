package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
)

// round is one timed run of one target on one workload (a line that
// bench/run.sh writes to results.jsonl).
type round struct {
	Workload string  `json:"workload"`
	Target   string  `json:"target"`
	Round    int     `json:"round"`
	Conns    int     `json:"conns"`
	RPS      float64 `json:"rps"`
	P50      float64 `json:"p50_ms"`
	P95      float64 `json:"p95_ms"`
	P99      float64 `json:"p99_ms"`
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func span(v []float64) (float64, float64) {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[0], s[len(s)-1]
}

// summaryCmd prints, per workload and target, the median and range of
// requests/s and latencies over the rounds, and Oversight's ratio to each
// other target: the ratio of medians, and the range of the per-round ratios
// (rounds were interleaved, so round i of each target ran side by side).
func summaryCmd(args []string) error {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	in := fs.String("in", "", "results.jsonl")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	type key struct {
		workload string
		conns    int
	}
	groups := map[key]map[string][]round{}
	var keys []key
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r round
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Target == "" || r.RPS == 0 {
			continue
		}
		k := key{r.Workload, r.Conns}
		if groups[k] == nil {
			groups[k] = map[string][]round{}
			keys = append(keys, k)
		}
		groups[k][r.Target] = append(groups[k][r.Target], r)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	fmt.Println("| workload | conns | target | rounds | req/s median (min–max) | p50 ms | p95 ms | p99 ms | Oversight ÷ target, req/s: median (per-round min–max) |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, k := range keys {
		g := groups[k]
		targets := make([]string, 0, len(g))
		for t := range g {
			targets = append(targets, t)
		}
		order := map[string]int{"oversight": 0, "postgraphile": 1, "sql-postgraphile": 2, "sql-oversight": 3}
		sort.Slice(targets, func(a, b int) bool { return order[targets[a]] < order[targets[b]] })
		ov := g["oversight"]
		for _, t := range targets {
			rs := g[t]
			var rps, p50, p95, p99 []float64
			for _, r := range rs {
				rps, p50, p95, p99 = append(rps, r.RPS), append(p50, r.P50), append(p95, r.P95), append(p99, r.P99)
			}
			lo, hi := span(rps)
			ratio := "—"
			if t != "oversight" && len(ov) > 0 {
				var ovRPS, per []float64
				byRound := map[int]float64{}
				for _, r := range rs {
					byRound[r.Round] = r.RPS
				}
				for _, r := range ov {
					ovRPS = append(ovRPS, r.RPS)
					if x, ok := byRound[r.Round]; ok && x > 0 {
						per = append(per, r.RPS/x)
					}
				}
				ratio = fmt.Sprintf("%.2f×", median(ovRPS)/median(rps))
				if len(per) > 0 {
					a, b := span(per)
					ratio += fmt.Sprintf(" (%.2f–%.2f)", a, b)
				}
			}
			fmt.Printf("| %s | %d | %s | %d | %.0f (%.0f–%.0f) | %.1f | %.1f | %.1f | %s |\n",
				k.workload, k.conns, t, len(rs), median(rps), lo, hi, median(p50), median(p95), median(p99), ratio)
		}
	}
	return nil
}
