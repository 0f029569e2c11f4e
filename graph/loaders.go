package graph

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// loaders batch the reads of one request: every field that needs "the vendor
// with this ID" or "the products of this vendor" asks its loader, and the
// loader makes one statement for all the keys asked for together. That is
// what keeps the statements per request bounded by the query's depth.
type loaders struct {
	idle time.Duration
	mu   sync.Mutex
	m    map[string]any
}

type loadersKey struct{}

// withLoaders gives each request its own loaders (and so its own cache).
// idle is how long a batch waits for one more key before it is sent.
func withLoaders(next http.Handler, idle time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := &loaders{idle: idle, m: make(map[string]any)}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), loadersKey{}, l)))
	})
}

// loaderFor returns the request's loader called name, creating it with fetch
// on first use. The name must identify fetch completely: loaders of pages
// include their arguments in it.
func loaderFor[K comparable, V any](ctx context.Context, name string, fetch func(context.Context, []K) (map[K]V, error)) *loader[K, V] {
	l, _ := ctx.Value(loadersKey{}).(*loaders)
	if l == nil {
		// Outside an HTTP request (tests calling the executor directly): a
		// loader that batches little is still correct.
		l = &loaders{idle: time.Millisecond, m: make(map[string]any)}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if x, ok := l.m[name]; ok {
		return x.(*loader[K, V])
	}
	ld := &loader[K, V]{fetch: fetch, idle: l.idle, max: max(maxBatchWait, 3*l.idle), cache: map[K]*result[V]{}}
	l.m[name] = ld
	return ld
}

// load reads one key through the request's loader called name.
func load[K comparable, V any](ctx context.Context, name string, fetch func(context.Context, []K) (map[K]V, error), key K) (V, error) {
	return loaderFor(ctx, name, fetch).Load(ctx, key)
}

// maxBatchWait bounds how long a batch may stay open however keys trickle in.
const maxBatchWait = 100 * time.Millisecond

// loader gathers the keys asked for until none has come for `idle`, then
// fetches them in one call. gqlgen resolves the fields of a list's elements
// on their own goroutines; under load they reach their loaders over several
// milliseconds, and a fixed window from the first key (as dataloaders
// usually have) cuts such a level into several batches, so the statements
// per request would grow with the page size. Waiting for a pause instead
// keeps one level in one batch, and `max` bounds the wait.
type loader[K comparable, V any] struct {
	fetch     func(context.Context, []K) (map[K]V, error)
	idle, max time.Duration

	mu      sync.Mutex
	cache   map[K]*result[V]
	pending *batch[K, V]
}

type result[V any] struct {
	done  chan struct{}
	value V
	err   error
}

type batch[K comparable, V any] struct {
	ctx     context.Context
	keys    []K
	results []*result[V]
	started time.Time
	timer   *time.Timer
	sent    bool
}

// Load returns the value for key, from the cache or from the batch it joins;
// an absent key gives the zero value (no entry, or an empty list).
func (l *loader[K, V]) Load(ctx context.Context, key K) (V, error) {
	l.mu.Lock()
	r := l.enqueue(ctx, key)
	l.mu.Unlock()
	return r.wait(ctx)
}

// LoadAll returns the values for keys, all asked for in one batch.
func (l *loader[K, V]) LoadAll(ctx context.Context, keys []K) ([]V, error) {
	l.mu.Lock()
	rs := make([]*result[V], len(keys))
	for i, k := range keys {
		rs[i] = l.enqueue(ctx, k)
	}
	l.mu.Unlock()
	out := make([]V, len(keys))
	for i, r := range rs {
		v, err := r.wait(ctx)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (r *result[V]) wait(ctx context.Context) (V, error) {
	select {
	case <-r.done:
		return r.value, r.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// enqueue returns key's result, adding the key to the pending batch (and
// starting one) when it is not cached yet. l.mu must be held.
func (l *loader[K, V]) enqueue(ctx context.Context, key K) *result[V] {
	r, ok := l.cache[key]
	if !ok {
		r = &result[V]{done: make(chan struct{})}
		l.cache[key] = r
		b := l.pending
		if b == nil {
			b = &batch[K, V]{ctx: ctx, started: time.Now()}
			b.timer = time.AfterFunc(l.idle, func() { l.send(b) })
			l.pending = b
		} else {
			b.timer.Reset(min(l.idle, max(l.max-time.Since(b.started), 0)))
		}
		b.keys = append(b.keys, key)
		b.results = append(b.results, r)
	}
	return r
}

// Fetch asks for keys and sends them at once, with whatever else is
// pending, without waiting for their values or for a pause. A parent level
// that knows every key its children will ask for calls it, so that the
// children's level is one batch by construction rather than by timing.
func (l *loader[K, V]) Fetch(ctx context.Context, keys []K) {
	if len(keys) == 0 {
		return
	}
	l.mu.Lock()
	for _, k := range keys {
		l.enqueue(ctx, k)
	}
	b := l.pending
	l.mu.Unlock()
	if b != nil {
		b.timer.Stop()
		go l.send(b)
	}
}

// send fetches a batch once; a timer reset after it fired may call it again.
func (l *loader[K, V]) send(b *batch[K, V]) {
	l.mu.Lock()
	if b.sent {
		l.mu.Unlock()
		return
	}
	b.sent = true
	if l.pending == b {
		l.pending = nil
	}
	l.mu.Unlock()
	m, err := l.safeFetch(b)
	for i, k := range b.keys {
		r := b.results[i]
		if err != nil {
			r.err = err
		} else {
			r.value = m[k]
		}
		close(r.done)
	}
}

// safeFetch turns a panic in fetch into an error for every key of the
// batch, so no request waits forever on a result that will never come.
func (l *loader[K, V]) safeFetch(b *batch[K, V]) (m map[K]V, err error) {
	defer func() {
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("loader panicked: %v", p)
		}
	}()
	return l.fetch(b.ctx, b.keys)
}
