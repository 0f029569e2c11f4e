package ratelimit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"oversight/internal/registry"
)

// clock is a settable time for the limiter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// setup returns a limiter on a stopped clock, its middleware around a
// handler that echoes the body it got, and the clock.
func setup(t *testing.T, cfg Config) (*Limiter, http.Handler, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg.Now = c.now
	l := New(cfg)
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	})
	return l, l.Middleware(echo), c
}

// request builds a POST of a GraphQL document from addr, as viewer.
func request(addr string, viewer registry.Viewer, query, opName string) *http.Request {
	body, _ := json.Marshal(map[string]any{"query": query, "operationName": opName})
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = addr
	return r.WithContext(registry.WithViewer(r.Context(), viewer))
}

func do(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestBucketsPerKey(t *testing.T) {
	t.Parallel()
	cfg := Config{Anonymous: Limit{Rate: 1, Burst: 3}, SignedIn: Limit{Rate: 1, Burst: 5}}
	_, h, clk := setup(t, cfg)
	alice := registry.Viewer{UserID: uuid.New(), Role: registry.RoleEditor}
	bob := registry.Viewer{UserID: uuid.New(), Role: registry.RoleContributor}
	const q = `{ __typename }`

	for i := range 3 {
		if w := do(h, request("192.0.2.1:1000", registry.Anonymous, q, "")); w.Code != http.StatusOK {
			t.Fatalf("anonymous request %d from 192.0.2.1 = %d, want 200", i+1, w.Code)
		}
	}
	if w := do(h, request("192.0.2.1:1001", registry.Anonymous, q, "")); w.Code != http.StatusTooManyRequests {
		t.Errorf("4th anonymous request from 192.0.2.1 (another port) = %d, want 429", w.Code)
	}
	if w := do(h, request("192.0.2.2:1000", registry.Anonymous, q, "")); w.Code != http.StatusOK {
		t.Errorf("first request from 192.0.2.2 = %d, want 200 (own bucket)", w.Code)
	}

	// A user's requests share a bucket whatever address they come from, and
	// signing in from an exhausted address is not limited by it.
	for i := range 5 {
		addr := fmt.Sprintf("192.0.2.%d:1000", 1+i%2)
		if w := do(h, request(addr, alice, q, "")); w.Code != http.StatusOK {
			t.Fatalf("alice's request %d from %s = %d, want 200", i+1, addr, w.Code)
		}
	}
	if w := do(h, request("198.51.100.9:1", alice, q, "")); w.Code != http.StatusTooManyRequests {
		t.Errorf("alice's 6th request = %d, want 429", w.Code)
	}
	if w := do(h, request("192.0.2.1:1000", bob, q, "")); w.Code != http.StatusOK {
		t.Errorf("bob's first request = %d, want 200 (own bucket)", w.Code)
	}

	clk.advance(time.Second)
	if w := do(h, request("192.0.2.1:1000", registry.Anonymous, q, "")); w.Code != http.StatusOK {
		t.Errorf("anonymous request a second later = %d, want 200 (one token back)", w.Code)
	}
	if w := do(h, request("192.0.2.1:1000", registry.Anonymous, q, "")); w.Code != http.StatusTooManyRequests {
		t.Errorf("second anonymous request a second later = %d, want 429", w.Code)
	}
}

func TestMutationBucket(t *testing.T) {
	t.Parallel()
	cfg := Config{SignedIn: Limit{Rate: 1, Burst: 10}, Mutation: Limit{Rate: 1, Burst: 2}}
	_, h, _ := setup(t, cfg)
	editor := registry.Viewer{UserID: uuid.New(), Role: registry.RoleEditor}
	const m = `mutation Review { review(id: "x", decision: APPROVE) { __typename } }`
	for i := range 2 {
		if w := do(h, request("192.0.2.1:1", editor, m, "")); w.Code != http.StatusOK {
			t.Fatalf("mutation %d = %d, want 200", i+1, w.Code)
		}
	}
	w := do(h, request("192.0.2.1:1", editor, m, ""))
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("3rd mutation = %d, want 429", w.Code)
	}
	if got := w.Header().Get("RateLimit-Limit"); got != "2" {
		t.Errorf("3rd mutation: RateLimit-Limit = %q, want 2 (the mutation bucket's)", got)
	}
	w = do(h, request("192.0.2.1:1", editor, `{ __typename }`, ""))
	if w.Code != http.StatusOK {
		t.Errorf("query after the mutations ran out = %d, want 200", w.Code)
	}
	if got := w.Header().Get("RateLimit-Limit"); got != "10" {
		t.Errorf("query: RateLimit-Limit = %q, want 10", got)
	}
	// Each request took a general token too: 3 mutations and 1 query.
	if got := w.Header().Get("RateLimit-Remaining"); got != "6" {
		t.Errorf("query: RateLimit-Remaining = %q, want 6", got)
	}
}

func TestRefusal(t *testing.T) {
	t.Parallel()
	_, h, _ := setup(t, Config{Anonymous: Limit{Rate: 0.25, Burst: 2}})
	r := func() *http.Request { return request("192.0.2.1:1", registry.Anonymous, `{ __typename }`, "") }

	w := do(h, r())
	if w.Code != http.StatusOK {
		t.Fatalf("first request = %d, want 200", w.Code)
	}
	want := map[string]string{"RateLimit-Limit": "2", "RateLimit-Remaining": "1", "RateLimit-Reset": "4"}
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("allowed response: %s = %q, want %q", k, got, v)
		}
	}
	if w.Header().Get("Retry-After") != "" {
		t.Errorf("allowed response has Retry-After %q", w.Header().Get("Retry-After"))
	}
	do(h, r())

	w = do(h, r())
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("third request = %d, want 429", w.Code)
	}
	want = map[string]string{
		"Retry-After": "4", "RateLimit-Limit": "2", "RateLimit-Remaining": "0", "RateLimit-Reset": "8",
		"Content-Type": "application/json", "Cache-Control": "no-store",
	}
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("refusal: %s = %q, want %q", k, got, v)
		}
	}
	var body struct {
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("refusal body %q: %v", w.Body.String(), err)
	}
	if len(body.Errors) != 1 || body.Errors[0].Message != "rate limit exceeded; retry after 4 s" || body.Errors[0].Extensions["code"] != "RATE_LIMITED" {
		t.Errorf("refusal body = %s, want one RATE_LIMITED error retrying after 4 s", w.Body.String())
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted, err := ParsePrefixes("10.0.0.0/8, 2001:db8:ffff::/48, 192.0.2.10")
	if err != nil {
		t.Fatal(err)
	}
	l := New(Config{TrustedProxies: trusted})
	tests := []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"no proxy", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"untrusted peer's XFF is ignored", "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"trusted peer", "10.1.2.3:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"trusted bare address", "192.0.2.10:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"spoofed left entries ignored", "10.1.2.3:4000", []string{"1.1.1.1, 8.8.8.8, 198.51.100.1"}, "198.51.100.1"},
		{"chain of trusted proxies", "10.1.2.3:4000", []string{"1.1.1.1, 198.51.100.1, 10.9.9.9, 192.0.2.10"}, "198.51.100.1"},
		{"several header lines", "10.1.2.3:4000", []string{"1.1.1.1, 198.51.100.1", "10.9.9.9"}, "198.51.100.1"},
		{"all trusted: left-most", "10.1.2.3:4000", []string{"10.0.0.1, 10.0.0.2"}, "10.0.0.1"},
		{"no header from trusted peer", "10.1.2.3:4000", nil, "10.1.2.3"},
		{"garbage stops the walk", "10.1.2.3:4000", []string{"198.51.100.1, bogus, 10.0.0.2"}, "10.0.0.2"},
		{"garbage right next to peer", "10.1.2.3:4000", []string{"198.51.100.1, unknown"}, "10.1.2.3"},
		{"entries with ports", "10.1.2.3:4000", []string{"198.51.100.1:555, [2001:db8::1]:443"}, "2001:db8::1"},
		{"IPv6 trusted peer", "[2001:db8:ffff::1]:4000", []string{"2001:db8:1::7"}, "2001:db8:1::7"},
		{"IPv4-mapped peer", "[::ffff:10.1.2.3]:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"not an address", "@", nil, "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/graphql", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := l.ClientAddr(r).String(); got != tt.want {
				t.Errorf("ClientAddr(RemoteAddr %q, X-Forwarded-For %q) = %s, want %s", tt.remote, tt.xff, got, tt.want)
			}
		})
	}
}

func TestIPv6Grouping(t *testing.T) {
	t.Parallel()
	_, h, _ := setup(t, Config{Anonymous: Limit{Rate: 1, Burst: 1}})
	const q = `{ __typename }`
	if w := do(h, request("[2001:db8:1:2::1]:1", registry.Anonymous, q, "")); w.Code != http.StatusOK {
		t.Fatalf("first request = %d", w.Code)
	}
	if w := do(h, request("[2001:db8:1:2:aaaa::9]:1", registry.Anonymous, q, "")); w.Code != http.StatusTooManyRequests {
		t.Errorf("request from another address of the same /64 = %d, want 429", w.Code)
	}
	if w := do(h, request("[2001:db8:1:3::1]:1", registry.Anonymous, q, "")); w.Code != http.StatusOK {
		t.Errorf("request from another /64 = %d, want 200", w.Code)
	}
}

// apqCache stands for gqlgen's lru cache of persisted queries.
type apqCache map[string]string

func (c apqCache) Get(_ context.Context, hash string) (string, bool) {
	q, ok := c[hash]
	return q, ok
}

func TestIsMutation(t *testing.T) {
	t.Parallel()
	l := New(Config{MaxBodyBytes: 200})
	l.UsePersistedQueries(apqCache{"m1": `mutation { x }`, "q1": `{ a }`})
	noCache := New(Config{})
	apq := func(hash string) string {
		return `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + hash + `"}}}`
	}
	post := func(body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	jsonBody := func(query, op string) string {
		b, _ := json.Marshal(map[string]string{"query": query, "operationName": op})
		return string(b)
	}
	get := func(query, op string) *http.Request {
		v := url.Values{"query": {query}}
		if op != "" {
			v.Set("operationName", op)
		}
		return httptest.NewRequest(http.MethodGet, "/graphql?"+v.Encode(), nil)
	}
	const two = `query Read { __typename } mutation Write { submit(id: "1") { id } }`
	tests := []struct {
		name string
		r    *http.Request
		want bool
	}{
		{"shorthand query", post(jsonBody(`{ vendors { totalCount } }`, "")), false},
		{"named query", post(jsonBody(`query Vendors { vendors { totalCount } }`, "")), false},
		{"mutation", post(jsonBody(`mutation { submit(id: "1") { id } }`, "")), true},
		{"mutation after comments and spaces", post(jsonBody("# query\n  mutation M { x }", "")), true},
		{"named query chosen", post(jsonBody(two, "Read")), false},
		{"named mutation chosen", post(jsonBody(two, "Write")), true},
		{"no operation chosen among two", post(jsonBody(two, "")), false},
		{"unknown operation", post(jsonBody(two, "Nope")), false},
		{"subscription", post(jsonBody(`subscription { changes { id } }`, "")), false},
		{"GET query", get(`{ __typename }`, ""), false},
		{"GET mutation", get(`mutation { x }`, ""), true},
		{"GET named", get(two, "Write"), true},
		{"GET without query", httptest.NewRequest(http.MethodGet, "/graphql", nil), false},
		{"key case as encoding/json reads it", post(`{"Query":"mutation { x }"}`), true},
		{"trailing data after the JSON value", post(jsonBody(`mutation { x }`, "") + ` {"query":"{ a }"}`), true},
		{"not JSON", post(`mutation { x }`), true},
		{"does not parse", post(jsonBody(`query {`, "")), true},
		{"body too long", post(jsonBody(`query { a }`+strings.Repeat(" ", 300), "")), true},
		{"empty body", httptest.NewRequest(http.MethodPost, "/graphql", http.NoBody), false},
		{"persisted mutation by hash", post(apq("m1")), true},
		{"persisted query by hash", post(apq("q1")), false},
		{"unknown hash", post(apq("nope")), false},
		{"hash without the server's cache", post(apq("q1")), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var before []byte
			if tt.r.Body != nil {
				before, _ = io.ReadAll(tt.r.Body)
				tt.r.Body = io.NopCloser(strings.NewReader(string(before)))
			}
			l := l
			if strings.Contains(tt.name, "without the server's cache") {
				l = noCache
			}
			if got := l.isMutation(tt.r); got != tt.want {
				t.Errorf("isMutation(%s %s) = %t, want %t", tt.r.Method, before, got, tt.want)
			}
			if tt.r.Body != nil {
				after, _ := io.ReadAll(tt.r.Body)
				if string(after) != string(before) {
					t.Errorf("body after isMutation = %q, want it restored to %q", after, before)
				}
			}
		})
	}
}

// TestBodyReachesHandler checks the handler reads the whole body the
// middleware read to classify the request, a long one included.
func TestBodyReachesHandler(t *testing.T) {
	t.Parallel()
	_, h, _ := setup(t, Config{MaxBodyBytes: 10})
	body := `{"query":"mutation { x }","variables":{"long":"` + strings.Repeat("y", 100) + `"}}`
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	r.RemoteAddr = "192.0.2.1:1"
	if w := do(h, r); w.Body.String() != body {
		t.Errorf("handler read %q, want %q", w.Body.String(), body)
	}
}

func TestEviction(t *testing.T) {
	t.Parallel()
	l, h, clk := setup(t, Config{MaxKeys: 100, IdleTimeout: 10 * time.Second})
	for i := range 5000 {
		r := request(fmt.Sprintf("10.%d.%d.%d:1", i>>16&255, i>>8&255, i&255), registry.Anonymous, `{ a }`, "")
		do(h, r)
		if n := l.Len(); n > 100 {
			t.Fatalf("after %d addresses the table holds %d clients, want at most 100", i+1, n)
		}
	}
	if n := l.Len(); n != 100 {
		t.Errorf("after a flood the table holds %d clients, want 100", n)
	}
	// Once they are idle, the next request clears them all.
	clk.advance(11 * time.Second)
	do(h, request("192.0.2.1:1", registry.Anonymous, `{ a }`, ""))
	if n := l.Len(); n != 1 {
		t.Errorf("after the others idled out the table holds %d clients, want 1", n)
	}
}

// TestEvictionKeepsRecent checks a full table evicts the least recently
// seen clients, so a busy client's bucket remembers what it spent.
func TestEvictionKeepsRecent(t *testing.T) {
	t.Parallel()
	l, h, _ := setup(t, Config{MaxKeys: 5, Anonymous: Limit{Rate: 1, Burst: 3}})
	busy := func() int { return do(h, request("192.0.2.1:1", registry.Anonymous, `{ a }`, "")).Code }
	others := func(from, to int) {
		for i := from; i < to; i++ {
			do(h, request(fmt.Sprintf("10.0.0.%d:1", i), registry.Anonymous, `{ a }`, ""))
		}
	}
	busy()
	busy()
	others(0, 4) // the table is full
	busy()
	others(4, 7) // evicts 10.0.0.0-2, seen before the busy client's last request
	if n := l.Len(); n != 5 {
		t.Errorf("table holds %d clients, want 5", n)
	}
	if got := busy(); got != http.StatusTooManyRequests {
		t.Errorf("4th request of a recently seen client = %d, want 429 (its bucket kept)", got)
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	l, h, _ := setup(t, Config{MaxKeys: 50, Anonymous: Limit{Rate: 1, Burst: 100}})
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				addr := "192.0.2.1:1"
				if i%2 == 1 {
					addr = fmt.Sprintf("10.0.%d.%d:1", g, i)
				}
				q := `{ a }`
				if i%5 == 0 {
					q = `mutation { b }`
				}
				c := do(h, request(addr, registry.Anonymous, q, "")).Code
				if addr == "192.0.2.1:1" && !strings.Contains(q, "mutation") {
					mu.Lock()
					codes[c]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if n := l.Len(); n > 50 {
		t.Errorf("table holds %d clients, want at most 50", n)
	}
	if codes[http.StatusOK] > 100 {
		t.Errorf("192.0.2.1 got %d queries through with a burst of 100 and a stopped clock", codes[http.StatusOK])
	}
}

func TestPreAuth(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(0, 0)}
	l := New(Config{PreAuth: Limit{Rate: 1, Burst: 2}, Now: c.now})
	h := l.PreAuth(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for i, want := range []int{200, 200, 429} {
		r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		r.RemoteAddr = "192.0.2.1:1"
		r.Header.Set("Authorization", "Bearer made-up")
		if w := do(h, r); w.Code != want {
			t.Errorf("pre-auth request %d = %d, want %d", i+1, w.Code, want)
		}
	}
}

func TestOff(t *testing.T) {
	t.Parallel()
	_, h, _ := setup(t, Config{Anonymous: Unlimited, Mutation: Unlimited})
	for range 100 {
		w := do(h, request("192.0.2.1:1", registry.Anonymous, `mutation { x }`, ""))
		if w.Code != http.StatusOK || w.Header().Get("RateLimit-Limit") != "" {
			t.Fatalf("unlimited request = %d with RateLimit-Limit %q, want 200 and none", w.Code, w.Header().Get("RateLimit-Limit"))
		}
	}
}

func TestParseLimit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want Limit
		ok   bool
	}{
		{"10:40", Limit{10, 40}, true},
		{" 0.5 : 5 ", Limit{0.5, 5}, true},
		{"off", Unlimited, true},
		{"10", Limit{}, false},
		{"0:5", Limit{}, false},
		{"-1:5", Limit{}, false},
		{"1:0", Limit{}, false},
		{"x:1", Limit{}, false},
		{"Inf:1", Limit{}, false},
	} {
		got, err := ParseLimit(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got.String() != tt.want.String()) {
			t.Errorf("ParseLimit(%q) = %v, %v; want %v, ok %t", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParsePrefixes(t *testing.T) {
	t.Parallel()
	got, err := ParsePrefixes("10.1.2.3/8, ::1 ,192.0.2.1,")
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != "10.0.0.0/8,::1/128,192.0.2.1/32" {
		t.Errorf("ParsePrefixes = %s", got)
	}
	if !got.contains(netip.MustParseAddr("10.200.0.1")) || got.contains(netip.MustParseAddr("11.0.0.1")) {
		t.Errorf("%s contains the wrong addresses", got)
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "::ffff:10.0.0.0/104"} {
		if _, err := ParsePrefixes(bad); err == nil {
			t.Errorf("ParsePrefixes(%q) accepted it", bad)
		}
	}
	if p, err := ParsePrefixes(""); err != nil || len(p) != 0 {
		t.Errorf(`ParsePrefixes("") = %v, %v; want none`, p, err)
	}
}
