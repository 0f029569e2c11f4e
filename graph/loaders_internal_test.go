package graph

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// Fetch sends the keys at once, without waiting for a pause, and the loads
// that follow find them: one fetch for the whole level even when the loader
// would otherwise wait an hour for more keys.
func TestLoaderFetchSendsAtOnce(t *testing.T) {
	var mu sync.Mutex
	var calls [][]int
	fetch := func(_ context.Context, keys []int) (map[int]string, error) {
		mu.Lock()
		calls = append(calls, slices.Clone(keys))
		mu.Unlock()
		out := map[int]string{}
		for _, k := range keys {
			out[k] = string(rune('a' + k))
		}
		return out, nil
	}
	ld := &loader[int, string]{fetch: fetch, idle: time.Hour, max: time.Hour, cache: map[int]*result[string]{}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	ld.Fetch(ctx, []int{0, 1, 2})
	var wg sync.WaitGroup
	got := make([]string, 3)
	for i := range 3 {
		wg.Go(func() {
			v, err := ld.Load(ctx, i)
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		})
	}
	wg.Wait()
	if !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("loads after Fetch = %q, want a b c", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 1 || !slices.Equal(calls[0], []int{0, 1, 2}) {
		t.Errorf("fetch calls = %v, want one with [0 1 2]", calls)
	}
}
