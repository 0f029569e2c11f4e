package graph

import (
	"net/http"
	"runtime"
)

// withAdmission lets at most n GraphQL requests execute at once; the others
// wait their turn (in arrival order, within their own deadline).
//
// Executing a request costs CPU and memory in proportion to what it returns:
// a wide query allocates tens of megabytes and starts a goroutine per object.
// Letting every open connection execute at once does not finish the work any
// sooner on a machine with few cores; it only multiplies the live heap (and
// the goroutine stacks the garbage collector must scan) by the number of
// connections. Queueing the rest keeps memory flat under load and throughput
// at what the CPUs can do.
func withAdmission(next http.Handler, n int) http.Handler {
	if n <= 0 {
		return next
	}
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
		case <-r.Context().Done():
			w.Header().Set("Retry-After", "1")
			writeRequestError(w, "application/json", &requestError{http.StatusServiceUnavailable, "SERVER_BUSY",
				"the server was too busy to start this request before its deadline; try again"})
			return
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}

// defaultConcurrency is how many requests execute at once unless configured:
// enough to keep the CPUs busy while some requests wait on the database.
// In process, 16 clients of the wide query at scale 1 ran as fast with 4 at
// once on 2 cores as with 8, in 286 MB instead of 371.
func defaultConcurrency() int { return 2 * runtime.GOMAXPROCS(0) }
