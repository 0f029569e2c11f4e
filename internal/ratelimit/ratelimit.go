// Package ratelimit limits how fast each client may call the API, with a
// token bucket per client: per user for signed-in requests (whatever token
// they use), per address for anonymous readers, and a separate, stricter
// bucket for mutations. A client over its limit gets 429 with Retry-After
// and the RateLimit-* headers, and a GraphQL-shaped error coded RATE_LIMITED.
//
// The buckets live in memory, in a table bounded by Config.MaxKeys: a flood
// of new addresses evicts the least recently seen clients rather than
// growing it. Nothing here logs: a key holds a user ID or an address, which
// are not for logs.
package ratelimit

import (
	"container/list"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Limit is a token bucket: Rate requests a second on average, and bursts of
// up to Burst at once. A Rate of +Inf (Unlimited) switches the limit off.
type Limit struct {
	Rate  float64
	Burst int
}

// Unlimited is a Limit that never refuses.
var Unlimited = Limit{Rate: math.Inf(1)}

// Off reports whether l refuses nothing.
func (l Limit) Off() bool { return math.IsInf(l.Rate, 1) }

// String formats l the way ParseLimit reads it: "10:40", or "off".
func (l Limit) String() string {
	if l.Off() {
		return "off"
	}
	return strconv.FormatFloat(l.Rate, 'f', -1, 64) + ":" + strconv.Itoa(l.Burst)
}

// Set implements flag.Value, so a Limit can be a command-line flag.
func (l *Limit) Set(s string) error {
	v, err := ParseLimit(s)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// ParseLimit reads "RATE:BURST" (requests a second, may be fractional, and
// the bucket's size: "10:40", "0.5:5") or "off".
func ParseLimit(s string) (Limit, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return Unlimited, nil
	}
	rs, bs, ok := strings.Cut(s, ":")
	if !ok {
		return Limit{}, fmt.Errorf("rate limit %q: want RATE:BURST, such as 10:40, or off", s)
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(rs), 64)
	if err != nil || r <= 0 || math.IsInf(r, 0) || math.IsNaN(r) {
		return Limit{}, fmt.Errorf("rate limit %q: the rate is not a positive number of requests a second", s)
	}
	b, err := strconv.Atoi(strings.TrimSpace(bs))
	if err != nil || b < 1 {
		return Limit{}, fmt.Errorf("rate limit %q: the burst is not a positive whole number", s)
	}
	return Limit{Rate: r, Burst: b}, nil
}

// Prefixes is a list of networks; it implements flag.Value for
// --trusted-proxies ("10.0.0.0/8,192.168.1.7,::1").
type Prefixes []netip.Prefix

// String implements flag.Value.
func (p Prefixes) String() string {
	s := make([]string, len(p))
	for i, n := range p {
		s[i] = n.String()
	}
	return strings.Join(s, ",")
}

// Set implements flag.Value: it replaces the list.
func (p *Prefixes) Set(s string) error {
	v, err := ParsePrefixes(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// ParsePrefixes reads a comma-separated list of CIDRs and addresses (an
// address is a network of one). An empty string is an empty list.
func ParsePrefixes(s string) (Prefixes, error) {
	var out Prefixes
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
			}
			if p.Addr().Is4In6() {
				// ::ffff:10.0.0.0/104 would never match: addresses are unmapped.
				return nil, fmt.Errorf("trusted proxy %q: write IPv4 networks as IPv4", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
		}
		a = a.Unmap().WithZone("")
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (p Prefixes) contains(a netip.Addr) bool {
	for _, n := range p {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// Config sets the limits. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// Anonymous is each anonymous client address's limit.
	Anonymous Limit
	// SignedIn is each signed-in user's limit, all their tokens together.
	SignedIn Limit
	// Mutation is each user's (or anonymous address's) limit on mutations,
	// taken on top of Anonymous or SignedIn: writes cost transactions,
	// audit rows and reviewers' attention.
	Mutation Limit
	// PreAuth is each address's limit before authentication (see
	// Limiter.PreAuth): high enough for every user behind one NAT, low
	// enough that guessing tokens costs more than it finds.
	PreAuth Limit

	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed. Empty means none: the client is the TCP peer.
	TrustedProxies Prefixes
	// IPv6PrefixLen groups anonymous IPv6 clients by network, since anyone
	// holding a /64 holds 2^64 addresses; 0 means 64, 128 keys each address.
	IPv6PrefixLen int

	// MaxKeys bounds the table of buckets; 0 means 100,000 (some tens of
	// megabytes at most).
	MaxKeys int
	// IdleTimeout is how long a client's buckets outlive its last request;
	// 0 means a minute. An idle bucket refills to full in Burst/Rate (4 to
	// 5 s with the defaults), so forgetting it later than that loses nothing.
	IdleTimeout time.Duration
	// MaxBodyBytes bounds how much of a POST body is read to tell a
	// mutation from a query; 0 means 1 MiB, the server's body limit. A body
	// longer than that, or one that does not parse, counts as a mutation.
	MaxBodyBytes int64
	// ParserTokenLimit bounds the parse of the query; keep it at least the
	// server's (graph.parserTokenLimit, 15,000), so nothing the server
	// executes is unreadable here. 0 means 15,000.
	ParserTokenLimit int

	// Now is the clock; nil means time.Now. For tests.
	Now func() time.Time
}

// DefaultConfig returns the default limits: anonymous readers 10 requests a
// second with bursts of 40, signed-in users 20 with bursts of 80, mutations
// 2 with bursts of 10, and before authentication 50 with bursts of 200 an
// address; no trusted proxies.
func DefaultConfig() Config {
	return Config{
		Anonymous:        Limit{Rate: 10, Burst: 40},
		SignedIn:         Limit{Rate: 20, Burst: 80},
		Mutation:         Limit{Rate: 2, Burst: 10},
		PreAuth:          Limit{Rate: 50, Burst: 200},
		IPv6PrefixLen:    64,
		MaxKeys:          100_000,
		IdleTimeout:      time.Minute,
		MaxBodyBytes:     1 << 20,
		ParserTokenLimit: 15_000,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Anonymous == (Limit{}) {
		c.Anonymous = d.Anonymous
	}
	if c.SignedIn == (Limit{}) {
		c.SignedIn = d.SignedIn
	}
	if c.Mutation == (Limit{}) {
		c.Mutation = d.Mutation
	}
	if c.PreAuth == (Limit{}) {
		c.PreAuth = d.PreAuth
	}
	if c.IPv6PrefixLen <= 0 || c.IPv6PrefixLen > 128 {
		c.IPv6PrefixLen = d.IPv6PrefixLen
	}
	if c.MaxKeys <= 0 {
		c.MaxKeys = d.MaxKeys
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = d.MaxBodyBytes
	}
	if c.ParserTokenLimit <= 0 {
		c.ParserTokenLimit = d.ParserTokenLimit
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Limiter holds the buckets. It is safe for concurrent use.
type Limiter struct {
	cfg Config

	mu   sync.Mutex
	keys map[string]*list.Element // of *client
	lru  *list.List               // most recently seen first

	persisted atomic.Pointer[PersistedQueries]
}

// client is one key's buckets: one for all its requests, one for its
// mutations (made on its first mutation; most clients never send one).
type client struct {
	key      string
	seen     time.Time
	all      *rate.Limiter
	mutation *rate.Limiter
}

// New returns a Limiter for cfg (zero fields take the defaults).
func New(cfg Config) *Limiter {
	return &Limiter{cfg: cfg.withDefaults(), keys: map[string]*list.Element{}, lru: list.New()}
}

// Len is the number of clients in the table.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// bucket is the kind of bucket a request draws from.
type bucket int

const (
	bucketAll bucket = iota
	bucketMutation
)

// decision is the outcome of taking a token.
type decision struct {
	allowed    bool
	limit      Limit
	remaining  int
	reset      time.Duration // until the bucket is full again
	retryAfter time.Duration // until a token is free, when refused
}

// take draws one token from key's bucket of kind b, made with lim if new.
func (l *Limiter) take(key string, b bucket, lim Limit) decision {
	if lim.Off() {
		return decision{allowed: true, limit: lim}
	}
	now := l.cfg.Now()
	rl := l.bucket(key, b, lim, now)
	res := rl.ReserveN(now, 1)
	if delay := res.DelayFrom(now); delay > 0 {
		// Refused: give the token back, so a client that keeps knocking
		// while refused is not pushed further out.
		res.CancelAt(now)
		return decision{limit: lim, reset: fullIn(rl, lim, now), retryAfter: delay}
	}
	left := rl.TokensAt(now)
	return decision{allowed: true, limit: lim, remaining: int(math.Max(0, math.Floor(left))), reset: fullIn(rl, lim, now)}
}

// fullIn is how long rl takes to refill completely.
func fullIn(rl *rate.Limiter, lim Limit, now time.Time) time.Duration {
	missing := float64(lim.Burst) - rl.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(missing / lim.Rate * float64(time.Second))
}

// bucket finds or makes key's bucket, marking key as just seen and evicting
// clients idle for longer than IdleTimeout, and the least recently seen
// when the table is full. Eviction walks from the least recently seen end
// and stops at the first client it keeps, so each call costs O(1)
// amortized and the table never passes MaxKeys.
func (l *Limiter) bucket(key string, b bucket, lim Limit, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, known := l.keys[key]
	for e := l.lru.Back(); e != nil; e = l.lru.Back() {
		c := e.Value.(*client)
		full := !known && len(l.keys) >= l.cfg.MaxKeys
		if c.key == key || (!full && now.Sub(c.seen) <= l.cfg.IdleTimeout) {
			break
		}
		l.lru.Remove(e)
		delete(l.keys, c.key)
	}
	var c *client
	if e, ok := l.keys[key]; ok {
		c = e.Value.(*client)
		l.lru.MoveToFront(e)
	} else {
		c = &client{key: key}
		l.keys[key] = l.lru.PushFront(c)
	}
	c.seen = now
	if b == bucketMutation {
		if c.mutation == nil {
			c.mutation = rate.NewLimiter(rate.Limit(lim.Rate), lim.Burst)
		}
		return c.mutation
	}
	if c.all == nil {
		c.all = rate.NewLimiter(rate.Limit(lim.Rate), lim.Burst)
	}
	return c.all
}
