package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type mixPart struct {
	name   string
	body   []byte
	weight int
}

// loadCmd sends requests at a fixed arrival rate for a bounded time. Latency
// is measured from when a request was due, not when a free connection sent
// it, so a stalled server shows up in the percentiles (no coordinated
// omission). At most -conns requests are in flight; arrivals that find none
// free wait their turn, and that wait counts.
func loadCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	url := fs.String("url", "", "GraphQL endpoint on loopback")
	mix := fs.String("mix", "", "NAME=FILE:WEIGHT,...")
	rate := fs.Float64("rate", 50, "requests per second")
	duration := fs.Duration("duration", 10*time.Second, "how long to send")
	conns := fs.Int("conns", 16, "at most this many requests in flight")
	target := fs.String("target", "", "label for the result line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !strings.HasPrefix(*url, "http://127.") && !strings.HasPrefix(*url, "http://localhost") {
		return fmt.Errorf("%s: loopback addresses only", *url)
	}
	var parts []mixPart
	total := 0
	for _, p := range strings.Split(*mix, ",") {
		name, rest, ok1 := strings.Cut(p, "=")
		file, w, ok2 := strings.Cut(rest, ":")
		weight, err := strconv.Atoi(w)
		if !ok1 || !ok2 || err != nil || weight < 1 {
			return fmt.Errorf("bad -mix part %q", p)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		parts = append(parts, mixPart{name, b, weight})
		total += weight
	}
	if len(parts) == 0 || *rate <= 0 {
		return errors.New("want -mix and a positive -rate")
	}
	// A fixed, repeating order of kinds by weight: deterministic and mixed.
	var order []int
	for i, p := range parts {
		for range p.weight {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return (a*7919)%len(order) < (b*7919)%len(order) })

	client := &http.Client{
		Timeout:   15 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns},
	}
	type sample struct {
		kind int
		lat  time.Duration
		ok   bool
		sent bool
	}
	n := int(*rate * duration.Seconds())
	samples := make([]sample, n)
	// Arrivals still waiting for a free connection this long after the last
	// one was due are dropped (counted as failed): the run stays bounded
	// when the server cannot keep up with the rate.
	deadline := time.Now().Add(*duration + 10*time.Second)
	dropped := 0
	sem := make(chan struct{}, *conns)
	var wg sync.WaitGroup
	start := time.Now()
	interval := time.Duration(float64(time.Second) / *rate)
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case sem <- struct{}{}:
		case <-time.After(time.Until(deadline)):
			dropped = n - i
		}
		if dropped > 0 {
			break
		}
		wg.Add(1)
		go func(i int, due time.Time) {
			defer wg.Done()
			defer func() { <-sem }()
			k := order[i%len(order)]
			ok := false
			resp, err := client.Post(*url, "application/json", bytes.NewReader(parts[k].body))
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				ok = resp.StatusCode == 200 && !bytes.Contains(b, []byte(`"errors"`))
			}
			samples[i] = sample{k, time.Since(due), ok, true}
		}(i, due)
	}
	wg.Wait()
	elapsed := time.Since(start)
	out := func(name string, lats []time.Duration, failed int) {
		sort.Slice(lats, func(a, b int) bool { return lats[a] < lats[b] })
		pct := func(p float64) float64 {
			if len(lats) == 0 {
				return 0
			}
			return float64(lats[min(len(lats)-1, int(p*float64(len(lats))))].Microseconds()) / 1000
		}
		line, _ := json.Marshal(map[string]any{
			"workload": "mixed", "target": *target, "kind": name, "requests": len(lats), "failed": failed,
			"rate": *rate, "achieved_rps": float64(len(lats)) / elapsed.Seconds(),
			"p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "max_ms": pct(1),
		})
		fmt.Println(string(line))
	}
	var all []time.Duration
	failedAll := 0
	for k, p := range parts {
		var lats []time.Duration
		failed := 0
		for _, s := range samples {
			if !s.sent || s.kind != k {
				continue
			}
			lats = append(lats, s.lat)
			if !s.ok {
				failed++
			}
		}
		all = append(all, lats...)
		failedAll += failed
		out(p.name, lats, failed)
	}
	out("all", all, failedAll)
	if dropped > 0 {
		line, _ := json.Marshal(map[string]any{"workload": "mixed", "target": *target, "kind": "dropped", "requests": dropped, "failed": dropped, "rate": *rate})
		fmt.Println(string(line))
	}
	if failedAll > 0 || dropped > 0 {
		return fmt.Errorf("%d of %d requests failed, %d dropped (the server could not keep up with %.0f/s)", failedAll, n, dropped, *rate)
	}
	return nil
}
