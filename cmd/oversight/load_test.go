package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"oversight/internal/pgtest"
)

var (
	loadDuration = flag.Duration("load.duration", 0, "how long TestLoad sends requests (default $OVERSIGHT_LOAD_DURATION, else 5s)")
	loadWorkers  = flag.Int("load.workers", 0, "how many clients TestLoad runs at once (default $OVERSIGHT_LOAD_WORKERS, else 32)")
)

// maxServerRSS bounds the server's peak resident memory under the load.
const maxServerRSS = 250 << 20

// TestLoad runs the real server on a seeded database and sends it, from many
// clients on loopback for a few seconds, a mix of normal queries and abusive
// requests. The server must stay up, refuse every abusive request with its
// own code and status, answer every normal query, and keep its memory
// bounded. It logs the figures docs/load-test.md records; those come from a
// run of this test alone (-run 'TestLoad$'), since by default it runs in
// parallel with the package's other tests, sharing their binary.
//
// It is not part of the ordinary go test ./..., which should stay quick on
// a newcomer's machine: it runs when asked (OVERSIGHT_LOAD_TEST=1, or a
// duration given), as CI's own load step does.
func TestLoad(t *testing.T) {
	if os.Getenv("OVERSIGHT_LOAD_TEST") != "1" && *loadDuration == 0 && os.Getenv("OVERSIGHT_LOAD_DURATION") == "" {
		t.Skip("the load test runs on request: OVERSIGHT_LOAD_TEST=1 go test ./cmd/oversight -run 'TestLoad$' (CI runs it in a step of its own)")
	}
	t.Parallel()
	duration := durationSetting(t, *loadDuration, "OVERSIGHT_LOAD_DURATION", 5*time.Second)
	workers := *loadWorkers
	if workers == 0 {
		workers = 32
		if s := os.Getenv("OVERSIGHT_LOAD_WORKERS"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 {
				t.Fatalf("OVERSIGHT_LOAD_WORKERS=%q: want a positive number", s)
			}
			workers = n
		}
	}
	bin := binary(t)
	// The load comes from many simulated clients, told apart by the
	// X-Forwarded-For of a trusted proxy (loopback), as behind a real
	// reverse proxy: each stays under its rate limit, as honest readers do,
	// and the refusals below are the server's answers to the requests
	// themselves. (One client flooding is the "flood" kind.)
	srv := startServer(t, bin, pgtest.URL(t), "--trusted-proxies", "127.0.0.0/8") // seeds the empty registry
	if !strings.HasPrefix(srv.url, "http://127.0.0.1:") {
		t.Fatalf("the server listens on %s, want loopback only", srv.url)
	}
	endpoint := srv.url + "/graphql"
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConns: 2 * workers, MaxIdleConnsPerHost: 2 * workers, DisableCompression: true},
		Timeout:   30 * time.Second,
	}
	kinds := loadKinds(t, client, endpoint)

	// Every request once, alone, before the load: a wrong expectation fails
	// here with a clear message rather than thousands of times below.
	for _, k := range kinds {
		for i, body := range k.bodies {
			status, raw, err := send(client, endpoint, body, clientAddr(i))
			if err != nil {
				t.Fatalf("%s #%d: %v", k.name, i, err)
			}
			if err := k.check(status, raw); err != nil {
				t.Fatalf("%s #%d (%.200s): %d %.300s: %v", k.name, i, body, status, raw, err)
			}
		}
	}
	rssBefore := procStatus(t, srv, "VmRSS")
	loadBefore := loadAverage()

	// The load: each worker picks a kind by weight and one of its requests
	// at random, until the deadline.
	var total int
	for _, k := range kinds {
		total += k.weight
	}
	stats := make([][]kindStats, workers)
	start := time.Now()
	deadline := start.Add(duration)
	var wg sync.WaitGroup
	for w := range workers {
		stats[w] = make([]kindStats, len(kinds))
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for time.Now().Before(deadline) {
				i, n := 0, r.IntN(total)
				for n >= kinds[i].weight {
					n -= kinds[i].weight
					i++
				}
				k, s := kinds[i], &stats[w][i]
				body := k.bodies[r.IntN(len(k.bodies))]
				t0 := time.Now()
				addr := clientAddr(r.IntN(1 << 14))
				if k.name == floodKind {
					addr = floodAddr
				}
				status, raw, err := send(client, endpoint, body, addr)
				s.latencies = append(s.latencies, time.Since(t0))
				s.count++
				// A normal query may run out of time on a starved machine
				// (the server's 15 s TIMEOUT, the client's 30 s): counted
				// apart, and tolerated up to 1%.
				if k.normal && (os.IsTimeout(err) || (err == nil && errorCode(raw) == "TIMEOUT")) {
					s.timeouts++
					continue
				}
				if err != nil {
					s.fail(fmt.Sprintf("%v", err))
					continue
				}
				if status == http.StatusTooManyRequests && errorCode(raw) == "RATE_LIMITED" {
					s.rateLimited++
					continue
				}
				if err := k.check(status, raw); err != nil {
					s.fail(fmt.Sprintf("%d %.300s: %v", status, raw, err))
					continue
				}
				s.ok++
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	// The server survived: still running, healthy and ready, nothing panicked.
	if !srv.alive() {
		t.Fatalf("the server died under the load (%v); its log:\n%s", srv.cmd.ProcessState, srv.stderr.String())
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code := srv.get(t, path); code != http.StatusOK {
			t.Errorf("GET %s after the load = %d, want 200", path, code)
		}
	}
	peak := procStatus(t, srv, "VmHWM")
	panics, logErrors := srv.stderr.counts()
	if panics > 0 {
		t.Errorf("the server logged %d panics under the load:\n%s", panics, srv.stderr.String())
	}

	// Figures and verdicts per kind.
	var report strings.Builder
	fmt.Fprintf(&report, "load: %d workers for %v on %d CPUs (%s, %s/%s; load average %s before, %s after); server peak RSS %.1f MiB (%.1f MiB before the load); server log: %d ERROR lines\n",
		workers, elapsed.Round(time.Millisecond), runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, loadBefore, loadAverage(),
		float64(peak)/(1<<20), float64(rssBefore)/(1<<20), logErrors)
	fmt.Fprintf(&report, "| kind | requests | req/s | as expected | 429 RATE_LIMITED | timed out | failed | p50 | p90 | p99 | max |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var normal, normalOK, normalLimited, normalTimeouts, all int
	for i, k := range kinds {
		var s kindStats
		for w := range workers {
			s.merge(&stats[w][i])
		}
		all += s.count
		slices.Sort(s.latencies)
		fmt.Fprintf(&report, "| %s | %d | %.0f | %d | %d | %d | %d | %s | %s | %s | %s |\n", k.name, s.count, float64(s.count)/elapsed.Seconds(),
			s.ok, s.rateLimited, s.timeouts, len(s.failures)+s.moreFailures, pct(s.latencies, 50), pct(s.latencies, 90), pct(s.latencies, 99), pct(s.latencies, 100))
		if k.normal {
			normal, normalOK, normalLimited, normalTimeouts = normal+s.count, normalOK+s.ok, normalLimited+s.rateLimited, normalTimeouts+s.timeouts
			if n := len(s.failures) + s.moreFailures; n > 0 {
				t.Errorf("%s: %d of %d normal queries failed under the load; first ones:\n  %s", k.name, n, s.count, strings.Join(s.failures, "\n  "))
			}
			continue
		}
		if n := len(s.failures) + s.moreFailures; n > 0 {
			t.Errorf("%s: %d of %d requests did not get their expected refusal; first ones:\n  %s", k.name, n, s.count, strings.Join(s.failures, "\n  "))
		}
	}
	var normalLatencies []time.Duration
	for w := range workers {
		for i, k := range kinds {
			if k.normal {
				normalLatencies = append(normalLatencies, stats[w][i].latencies...)
			}
		}
	}
	slices.Sort(normalLatencies)
	fmt.Fprintf(&report, "total %d requests, %.0f req/s; normal queries: %d, %d answered, %d rate limited, %d timed out, p50 %s, p99 %s\n",
		all, float64(all)/elapsed.Seconds(), normal, normalOK, normalLimited, normalTimeouts, pct(normalLatencies, 50), pct(normalLatencies, 99))
	t.Log("\n" + report.String())

	if normalTimeouts*100 > normal {
		t.Errorf("%d of %d normal queries timed out under the load, more than 1%%", normalTimeouts, normal)
	} else if normalTimeouts > 0 {
		t.Logf("%d of %d normal queries timed out (tolerated up to 1%%: the machine was starved)", normalTimeouts, normal)
	}
	// Honest clients stay under their limits: none of their queries may be
	// refused, and enough must have run for the figures to mean something.
	if normalLimited > 0 {
		t.Errorf("%d of %d normal queries were rate limited, want none: each simulated client stays under its limit", normalLimited, normal)
	}
	if normalOK < 20 {
		t.Errorf("only %d normal queries were answered in %v; the load measured nothing", normalOK, elapsed)
	}
	// The flooding client exceeds its allowance (the default anonymous
	// limit, 10 a second after a burst of 40) only if the server answers it
	// fast enough, which depends on the machine; when it did, it must have
	// been refused. Then, whatever the load did, a burst it cannot have the
	// tokens for must be.
	flood := kindTotals(stats, kinds, floodKind)
	if allowance := 40 + 10*elapsed.Seconds(); float64(flood.count) > 1.2*allowance && flood.rateLimited == 0 {
		t.Errorf("the flooding client sent %d requests in %v (allowance about %.0f) and none was rate limited, want the limiter to refuse it",
			flood.count, elapsed.Round(time.Millisecond), allowance)
	}
	limited := 0
	for range 60 {
		status, raw, err := send(client, endpoint, []byte(`{"query":"{ stats { vendors } }"}`), floodAddr)
		if err != nil {
			t.Fatalf("flood burst: %v", err)
		}
		if status == http.StatusTooManyRequests && errorCode(raw) == "RATE_LIMITED" {
			limited++
		}
	}
	if limited == 0 {
		t.Errorf("60 requests at once from one address: none was rate limited, want the limiter to refuse those beyond its burst of 40")
	}
	if peak > maxServerRSS {
		t.Errorf("the server's peak RSS was %.1f MiB, want at most %d MiB", float64(peak)/(1<<20), maxServerRSS>>20)
	}
}

// loadKind is one kind of request: its bodies, how often it is sent, and
// what the answer must be.
type loadKind struct {
	name   string
	normal bool
	weight int
	bodies [][]byte
	// check returns an error when the answer is not the expected one.
	check func(status int, body []byte) error
}

func loadKinds(t *testing.T, client *http.Client, endpoint string) []loadKind {
	t.Helper()
	q := func(queries ...string) [][]byte {
		var out [][]byte
		for _, s := range queries {
			b, _ := json.Marshal(map[string]string{"query": s})
			out = append(out, b)
		}
		return out
	}

	// Normal: the README's examples as they are, vendor dossiers and searches.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("read the README for its example queries: %v", err)
	}
	var examples []string
	for _, m := range regexp.MustCompile("(?ms)^```graphql\n(.*?)^```").FindAllSubmatch(readme, -1) {
		examples = append(examples, string(m[1]))
	}
	if len(examples) < 6 {
		t.Fatalf("the README has %d GraphQL examples, want at least 6", len(examples))
	}
	status, raw, err := send(client, endpoint, q(`{ vendors(first: 100) { nodes { slug } } }`)[0], clientAddr(0))
	var v struct {
		Data struct {
			Vendors struct{ Nodes []struct{ Slug string } }
		}
	}
	if err != nil || status != http.StatusOK || json.Unmarshal(raw, &v) != nil || len(v.Data.Vendors.Nodes) < 10 {
		t.Fatalf("list vendor slugs = %d %.300s, %v; want at least 10", status, raw, err)
	}
	var dossiers []string
	for _, n := range v.Data.Vendors.Nodes {
		dossiers = append(dossiers, `{ vendor(slug: "`+n.Slug+`") { name aliases countryCode website description parent { name }
		  states { name countryCode } products { name technologies { name } }
		  deployments(first: 20) { totalCount nodes { state { name } technology { name } location startDate confidence
		    abuses { title communities { name } } citations { quote source { title url publisher } } } }
		  designations { list { code name } listedOn reason citations { quote source { title } } }
		  history { totalCount nodes { version createdAt summary } } } }`)
	}
	var searches []string
	for _, s := range []string{"Hikvision", "facial recognition", "Xinjiang", "spyware", "Pegasus", `"predictive policing"`, "cameras -China", "Uyghur mosque", "NSO", "biometric"} {
		b, _ := json.Marshal(s)
		searches = append(searches, `{ search(query: `+string(b)+`, first: 20) { totalCount nodes { entryType score snippet entry { __typename } } } }`)
	}

	// Abusive: each refused before any resolver runs, or by the resolver's
	// argument check, with its own code.
	var deep, aliases, roots []string
	for k := 10; k <= 40; k += 10 {
		deep = append(deep, "{ vendors { nodes { "+strings.Repeat("parent { ", k)+"name"+strings.Repeat(" }", k)+" } } }")
	}
	for _, n := range []int{51, 200, 1000} {
		var b strings.Builder
		b.WriteString("{ vendors(first: 1) { nodes { ")
		for i := range n {
			fmt.Fprintf(&b, "a%d: name ", i)
		}
		b.WriteString("} } }")
		aliases = append(aliases, b.String())
	}
	for _, n := range []int{21, 100} {
		var b strings.Builder
		b.WriteString("{ ")
		for i := range n {
			fmt.Fprintf(&b, "r%d: stats { states } ", i)
		}
		b.WriteString("}")
		roots = append(roots, b.String())
	}
	tokens := "{ stats { states } " + strings.Repeat("__typename ", 20000) + "}"
	pad := strings.Repeat("x", 1<<20+1024)
	oversized, _ := json.Marshal(map[string]any{"query": "{ stats { states } }", "variables": map[string]string{"pad": pad}})
	notJSON := bytes.Repeat([]byte("not json "), 1<<20/9+200)

	return []loadKind{
		{name: "README examples", normal: true, weight: 20, bodies: q(examples...), check: wantData},
		{name: "vendor dossiers", normal: true, weight: 20, bodies: q(dossiers...), check: wantData},
		{name: "searches", normal: true, weight: 15, bodies: q(searches...), check: wantData},
		{name: "deep nesting", weight: 6, bodies: q(deep...), check: wantError(http.StatusOK, "QUERY_TOO_DEEP", "nested")},
		{name: "alias floods", weight: 6, bodies: q(aliases...), check: wantError(http.StatusOK, "TOO_MANY_ALIASES", "aliased fields")},
		{name: "root field floods", weight: 4, bodies: q(roots...), check: wantError(http.StatusOK, "TOO_MANY_ROOT_FIELDS", "top-level fields")},
		{name: "huge pages (first: 10000)", weight: 6, check: wantError(http.StatusOK, "BAD_USER_INPUT", "first must be between 0 and 100"), bodies: q(
			`{ vendors(first: 10000) { nodes { name } } }`,
			`{ sources(first: 100000) { totalCount nodes { title } } }`,
			`{ search(query: "camera", first: 5000) { totalCount } }`)},
		{name: "nested pages (100 x 100 x ...)", weight: 6, check: wantError(http.StatusOK, "QUERY_TOO_COMPLEX", "could return about"), bodies: q(
			`{ states(first: 100) { nodes { deployments(first: 100) { nodes { abuses { deployments { citations { source { title } } } } } } } } }`,
			`{ sources(first: 100) { nodes { citedBy(first: 100) { nodes { source { citedBy(first: 100) { nodes { quote } } } } } } } }`,
			`{ vendors(first: 100) { nodes { deployments(first: 100) { nodes { citations { source { citedBy(first: 100) { nodes { quote } } } } } } } } }`)},
		{name: "token floods", weight: 3, bodies: q(tokens), check: wantError(http.StatusOK, "GRAPHQL_PARSE_FAILED", "exceeded token limit")},
		{name: "malformed bodies", weight: 6, check: wantError(http.StatusBadRequest, "BAD_REQUEST", ""), bodies: [][]byte{
			[]byte("this is not JSON"), []byte(`{"query": "{ stats { states } }"`), []byte(`[1, 2, 3]`), []byte(``), []byte(`{"query": 42}`)}},
		{name: "oversized bodies (> 1 MiB)", weight: 2, bodies: [][]byte{oversized, notJSON},
			check: wantError(http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE", "over 1048576 bytes")},
		{name: "unknown fields", weight: 6, check: wantError(http.StatusOK, "GRAPHQL_VALIDATION_FAILED", "Cannot query field"), bodies: q(
			`{ vendors { nodes { nope } } }`, `{ frobnicate }`, `{ vendor(slug: "hikvision") { name passwordHash } }`, `{ users { email } }`)},
		// One client sending as fast as it can: past its burst, refused
		// with 429 RATE_LIMITED, which the loop counts apart.
		{name: floodKind, weight: 10, bodies: q(`{ stats { vendors } }`), check: wantData},
	}
}

// floodKind is the requests of the one flooding client.
const floodKind = "one client flooding"

// wantData accepts a 200 answer with data and no errors.
func wantData(status int, body []byte) error {
	var r struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("answer is not JSON: %v", err)
	}
	if status != http.StatusOK || len(r.Errors) > 0 || len(r.Data) == 0 || string(r.Data) == "null" {
		return fmt.Errorf("got status %d with %d errors, want 200 with data and no errors", status, len(r.Errors))
	}
	return nil
}

// wantError accepts exactly the given status with one error of the given
// code whose message contains msg, and no data.
func wantError(wantStatus int, code, msg string) func(int, []byte) error {
	return func(status int, body []byte) error {
		var r struct {
			Data   json.RawMessage
			Errors []struct {
				Message    string
				Extensions struct{ Code string }
			}
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return fmt.Errorf("answer is not JSON: %v", err)
		}
		if status != wantStatus || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != code ||
			!strings.Contains(r.Errors[0].Message, msg) || (len(r.Data) > 0 && string(r.Data) != "null") {
			return fmt.Errorf("want status %d with one %s error saying %q and no data", wantStatus, code, msg)
		}
		return nil
	}
}

// errorCode is the code of an answer's first error, "" if there is none.
func errorCode(body []byte) string {
	var r struct {
		Errors []struct{ Extensions struct{ Code string } }
	}
	if json.Unmarshal(body, &r) != nil || len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Extensions.Code
}

// clientAddr is the address of simulated client i, in the ranges reserved
// for documentation (RFC 5737): only ever a header value, never a target.
func clientAddr(i int) string {
	return fmt.Sprintf("198.51.%d.%d", 100+(i>>8)%4, i&255)
}

// floodAddr is the one client of the flood kind.
const floodAddr = "203.0.113.7"

// send posts body to endpoint as the client at addr (through the trusted
// loopback proxy) and returns the answer's status and body.
func send(client *http.Client, endpoint string, body []byte, addr string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("X-Forwarded-For", addr)
	req.Header.Set("Content-Type", "application/json")
	// The status of a GraphQL error depends on the media type asked for;
	// the expectations above are those of application/json.
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// kindStats counts one worker's requests of one kind.
type kindStats struct {
	count, ok, rateLimited, timeouts int
	failures                         []string // the first few
	moreFailures                     int
	latencies                        []time.Duration
}

func (s *kindStats) fail(msg string) {
	if len(s.failures) < 5 {
		s.failures = append(s.failures, msg)
		return
	}
	s.moreFailures++
}

func (s *kindStats) merge(o *kindStats) {
	s.count += o.count
	s.ok += o.ok
	s.rateLimited += o.rateLimited
	s.timeouts += o.timeouts
	for _, f := range o.failures {
		s.fail(f)
	}
	s.moreFailures += o.moreFailures
	s.latencies = append(s.latencies, o.latencies...)
}

// pct is the p-th percentile of sorted durations, rounded for a table.
func pct(sorted []time.Duration, p int) string {
	if len(sorted) == 0 {
		return "-"
	}
	i := (len(sorted)*p+99)/100 - 1
	d := sorted[max(i, 0)]
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// procStatus reads a size field (VmHWM, VmRSS) of the server's
// /proc/PID/status, in bytes.
func procStatus(t *testing.T, p *serverProcess, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("read the server's /proc status: %v", err)
	}
	m := regexp.MustCompile(`(?m)^` + field + `:\s+(\d+) kB$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no %s in the server's /proc status", field)
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}

// loadAverage is the machine's 1-minute load average, to tell a quiet run
// from one that shared the CPUs.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// durationSetting is the flag's value, else the environment variable's,
// else def.
func durationSetting(t *testing.T, flagValue time.Duration, envVar string, def time.Duration) time.Duration {
	t.Helper()
	if flagValue > 0 {
		return flagValue
	}
	if s := os.Getenv(envVar); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q: want a positive duration such as 30s", envVar, s)
		}
		return d
	}
	return def
}

// kindTotals adds up the workers' counts for the kind called name.
func kindTotals(stats [][]kindStats, kinds []loadKind, name string) kindStats {
	var total kindStats
	for i, k := range kinds {
		if k.name != name {
			continue
		}
		for w := range stats {
			total.count += stats[w][i].count
			total.rateLimited += stats[w][i].rateLimited
		}
	}
	return total
}
