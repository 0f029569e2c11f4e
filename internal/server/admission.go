package server

import (
	"context"
	"net/http"
	"runtime"
	"time"

	"oversight/internal/request"
)

// admission lets at most n requests execute at once; the others wait their
// turn (in arrival order, within their own deadline).
//
// Executing a request costs CPU and memory in proportion to what it returns:
// a wide query allocates tens of megabytes and starts a goroutine per object.
// Letting every open connection execute at once does not finish the work any
// sooner on a machine with few cores; it only multiplies the live heap (and
// the goroutine stacks the garbage collector must scan) by the number of
// connections. Queueing the rest keeps memory flat under load and throughput
// at what the CPUs can do.
//
// One admission is shared by every route it guards (see chain), so that
// the routes together, not each on its own, stay within n.
type admission struct {
	slots chan struct{}
}

// newAdmission returns an admission of n slots; nil, which admits
// everything, when n <= 0.
func newAdmission(n int) *admission {
	if n <= 0 {
		return nil
	}
	return &admission{slots: make(chan struct{}, n)}
}

// wrap admits each request to next. A request still waiting when its
// context ends, or after maxWait when that is positive (for routes without a
// deadline), is refused with 503 SERVER_BUSY and never reaches next.
func (a *admission) wrap(next http.Handler, maxWait time.Duration) http.Handler {
	if a == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.enter(r.Context(), maxWait) {
			w.Header().Set("Retry-After", "1")
			request.WriteError(w, request.MediaJSON, http.StatusServiceUnavailable,
				"the server was too busy to start this request before its deadline; try again",
				map[string]any{"code": "SERVER_BUSY"})
			return
		}
		defer func() { <-a.slots }()
		next.ServeHTTP(w, r)
	})
}

// enter takes a slot, waiting until ctx ends or maxWait (when positive)
// passes; it reports whether it got one.
func (a *admission) enter(ctx context.Context, maxWait time.Duration) bool {
	select {
	case a.slots <- struct{}{}:
		return true
	default:
	}
	var timeout <-chan time.Time
	if maxWait > 0 {
		t := time.NewTimer(maxWait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case a.slots <- struct{}{}:
		return true
	case <-ctx.Done():
	case <-timeout:
	}
	return false
}

// withAdmission lets at most n requests through next at once, with an
// admission of its own.
func withAdmission(next http.Handler, n int) http.Handler {
	return newAdmission(n).wrap(next, 0)
}

// defaultConcurrency is how many requests execute at once unless configured:
// enough to keep the CPUs busy while some requests wait on the database.
// In process, 16 clients of the wide query at scale 1 ran as fast with 4 at
// once on 2 cores as with 8, in 286 MB instead of 371.
func defaultConcurrency() int { return 2 * runtime.GOMAXPROCS(0) }
