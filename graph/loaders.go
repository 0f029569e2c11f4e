package graph

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/vikstrous/dataloadgen"
)

// loaders batch the reads of one request: every field that needs "the vendor
// with this ID" or "the products of this vendor" asks its loader, and the
// loader makes one statement for all the keys asked for in the same instant.
// That is what keeps the statements per request bounded by the query's depth.
type loaders struct {
	wait time.Duration
	mu   sync.Mutex
	m    map[string]any
}

type loadersKey struct{}

// withLoaders gives each request its own loaders (and so its own cache).
func withLoaders(next http.Handler, wait time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := &loaders{wait: wait, m: make(map[string]any)}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), loadersKey{}, l)))
	})
}

// loaderFor returns the request's loader called name, creating it with fetch
// on first use. The name must identify fetch completely: loaders of pages
// include their arguments in it.
func loaderFor[K comparable, V any](ctx context.Context, name string, fetch func(context.Context, []K) (map[K]V, error)) *dataloadgen.Loader[K, V] {
	l, _ := ctx.Value(loadersKey{}).(*loaders)
	if l == nil {
		// Outside an HTTP request (tests calling the executor directly): a
		// loader that batches nothing is still correct.
		l = &loaders{m: make(map[string]any)}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if x, ok := l.m[name]; ok {
		return x.(*dataloadgen.Loader[K, V])
	}
	ld := dataloadgen.NewLoader(func(ctx context.Context, keys []K) ([]V, []error) {
		out := make([]V, len(keys))
		m, err := fetch(ctx, keys)
		if err != nil {
			errs := make([]error, len(keys))
			for i := range errs {
				errs[i] = err
			}
			return out, errs
		}
		for i, k := range keys {
			out[i] = m[k] // absent keys give the zero value: no entry, or an empty list
		}
		return out, nil
	}, dataloadgen.WithWait(l.wait))
	l.m[name] = ld
	return ld
}

// load reads one key through the request's loader called name.
func load[K comparable, V any](ctx context.Context, name string, fetch func(context.Context, []K) (map[K]V, error), key K) (V, error) {
	return loaderFor(ctx, name, fetch).Load(ctx, key)
}
