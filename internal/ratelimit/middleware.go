package ratelimit

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"oversight/internal/registry"
)

// Middleware limits the requests of each client, and mutations again on
// their own. It reads the viewer (registry.ViewerFrom), so it must run
// inside the auth middleware: a signed-in user's requests are counted per
// user ID, whichever of their tokens they use; anonymous readers' per
// address (ClientAddr). Every request draws from the client's general
// bucket before its body is read, so a flood costs no parsing; a mutation
// then draws from the mutation bucket too. The answer carries the
// RateLimit-* headers of the bucket it drew from last.
func (l *Limiter) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var key string
		lim := l.cfg.Anonymous
		if v := registry.ViewerFrom(r.Context()); v.SignedIn() {
			key, lim = "user:"+v.UserID.String(), l.cfg.SignedIn
		} else {
			key = "addr:" + l.clientKey(r)
		}
		d := l.take(key, bucketAll, lim)
		if !d.allowed {
			refuse(w, d)
			return
		}
		if !l.cfg.Mutation.Off() && l.isMutation(r) {
			d = l.take(key, bucketMutation, l.cfg.Mutation)
			if !d.allowed {
				refuse(w, d)
				return
			}
		}
		setHeaders(w.Header(), d)
		next.ServeHTTP(w, r)
	})
}

// PreAuth limits each address before the auth middleware runs, with
// Config.PreAuth, so that a flood of made-up tokens (each one a database
// lookup) is bounded too. Only refusals carry RateLimit-* headers: the
// limits a client plans by are Middleware's.
func (l *Limiter) PreAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := l.take("pre:"+l.clientKey(r), bucketAll, l.cfg.PreAuth); !d.allowed {
			refuse(w, d)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientKey is the client's address as a bucket key: IPv6 addresses
// grouped by their IPv6PrefixLen network.
func (l *Limiter) clientKey(r *http.Request) string {
	a := l.ClientAddr(r)
	if !a.IsValid() {
		return "unknown"
	}
	if a.Is6() && l.cfg.IPv6PrefixLen < 128 {
		p, _ := a.Prefix(l.cfg.IPv6PrefixLen)
		return p.String()
	}
	return a.String()
}

// ClientAddr is the address of the client that sent r: the TCP peer, or,
// when the peer is a trusted proxy, the right-most address of
// X-Forwarded-For that is not a trusted proxy. Only the right end of the
// chain is believed, since a client writes whatever it likes at the left. An
// entry that is not an address stops the walk at the last address read. It
// returns the zero Addr when RemoteAddr is not an address.
func (l *Limiter) ClientAddr(r *http.Request) netip.Addr {
	peer := parseAddr(r.RemoteAddr)
	if !peer.IsValid() || !l.cfg.TrustedProxies.contains(peer) {
		return peer
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseAddr(strings.TrimSpace(hops[i]))
		if !a.IsValid() {
			break
		}
		client = a
		if !l.cfg.TrustedProxies.contains(a) {
			break
		}
	}
	return client
}

// parseAddr reads "192.0.2.1", "192.0.2.1:1234", "2001:db8::1" or
// "[2001:db8::1]:1234", unmapping IPv4-in-IPv6 and dropping zones.
func parseAddr(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// isMutation reports whether r asks for a mutation, reading the operation
// the way gqlgen will: query and operationName from the URL for GET, from
// the JSON body otherwise (decoded as gqlgen's POST transport does, first
// JSON value only), and the operation chosen as gqlgen chooses it. The body
// is put back for the handler. What cannot be read (a body too long, or not
// JSON, or a query that does not parse) counts as a mutation: the server
// will refuse it anyway, and the stricter bucket is the safe side.
func (l *Limiter) isMutation(r *http.Request) bool {
	var p struct {
		Query         string `json:"query"`
		OperationName string `json:"operationName"`
		Extensions    struct {
			PersistedQuery struct {
				Hash string `json:"sha256Hash"`
			} `json:"persistedQuery"`
		} `json:"extensions"`
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		// GraphQL over HTTP never runs a mutation sent with GET (graph's
		// transport answers 405), but it is classified all the same.
		q := r.URL.Query()
		p.Query, p.OperationName = q.Get("query"), q.Get("operationName")
		if p.Query == "" {
			return false
		}
	default:
		if r.Body == nil || r.Body == http.NoBody {
			return false
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, l.cfg.MaxBodyBytes+1))
		r.Body = restoredBody{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
		if err != nil || int64(len(body)) > l.cfg.MaxBodyBytes {
			return true
		}
		if len(body) == 0 {
			return false
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&p); err != nil {
			return true
		}
		if p.Query == "" && p.Extensions.PersistedQuery.Hash != "" {
			// An automatic persisted query: the text is the one the
			// server has under the hash.
			pq := l.persisted.Load()
			if pq == nil {
				return true
			}
			var ok bool
			if p.Query, ok = (*pq).Get(r.Context(), p.Extensions.PersistedQuery.Hash); !ok {
				return false // the server runs nothing: PersistedQueryNotFound
			}
		}
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, l.cfg.ParserTokenLimit)
	if err != nil {
		return true
	}
	op := doc.Operations.ForName(p.OperationName)
	if op == nil {
		return false // gqlgen runs nothing: "operation not found"
	}
	return op.Operation == ast.Mutation
}

// PersistedQueries is where the server keeps automatic persisted queries
// (hash to query text): the cache given to gqlgen's
// extension.AutomaticPersistedQuery, such as lru.New[string](n).
type PersistedQueries interface {
	Get(ctx context.Context, hash string) (string, bool)
}

// UsePersistedQueries tells the limiter where the server keeps persisted
// queries, so that a mutation sent by its hash alone is still a mutation.
// Without it, a POST with a hash and no query counts as a mutation. Call
// it before serving.
func (l *Limiter) UsePersistedQueries(c PersistedQueries) {
	l.persisted.Store(&c)
}

// restoredBody is a body partly read and put back: what was read, then the
// rest, closed through the original.
type restoredBody struct {
	io.Reader
	io.Closer
}

// rateLimitedBody is the GraphQL-shaped answer to a refused request.
const rateLimitedBody = `{"errors":[{"message":"rate limit exceeded; retry after %d s","extensions":{"code":"RATE_LIMITED"}}]}`

// refuse answers 429 with Retry-After and the RateLimit-* headers.
func refuse(w http.ResponseWriter, d decision) {
	h := w.Header()
	setHeaders(h, d)
	retry := seconds(d.retryAfter)
	h.Set("Retry-After", strconv.Itoa(retry))
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = io.WriteString(w, strings.Replace(rateLimitedBody, "%d", strconv.Itoa(retry), 1))
}

// setHeaders sets the RateLimit-Limit, -Remaining and -Reset fields of
// draft-ietf-httpapi-ratelimit-headers (the separate fields of its drafts
// up to -06): the bucket's size, the whole tokens left in it, and the
// seconds until it is full again.
func setHeaders(h http.Header, d decision) {
	if d.limit.Off() {
		return
	}
	h.Set("RateLimit-Limit", strconv.Itoa(d.limit.Burst))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(seconds(d.reset)))
}

// seconds rounds d up to whole seconds, at least 1 when d > 0.
func seconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d.Seconds()))
}
