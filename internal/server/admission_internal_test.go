package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// withAdmission runs at most n requests at once: the next waits for a slot,
// and one whose deadline passes while it waits is refused as busy, without
// ever reaching the handler.
func TestAdmissionQueuesBeyondTheLimit(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan string, 3)
	h := withAdmission(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- r.URL.Query().Get("n")
		<-release
		w.WriteHeader(http.StatusOK)
	}), 1)

	first := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql?n=1", nil))
		first <- rec.Code
	}()
	if got := <-entered; got != "1" {
		t.Fatalf("request %s entered first, want 1", got)
	}

	// The slot is taken: a request with a short deadline gives up.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql?n=2", nil).WithContext(ctx))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "SERVER_BUSY") || rec.Header().Get("Retry-After") == "" {
		t.Errorf("waiting past its deadline: %d %s (Retry-After %q), want 503 SERVER_BUSY with Retry-After", rec.Code, rec.Body, rec.Header().Get("Retry-After"))
	}

	// A patient request waits for the slot and then runs.
	third := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql?n=3", nil))
		third <- rec.Code
	}()
	select {
	case n := <-entered:
		t.Fatalf("request %s entered while the only slot was taken", n)
	case <-time.After(50 * time.Millisecond):
	}
	release <- struct{}{}
	if code := <-first; code != http.StatusOK {
		t.Errorf("first request: %d", code)
	}
	if got := <-entered; got != "3" {
		t.Fatalf("request %s entered, want 3 (2 gave up)", got)
	}
	release <- struct{}{}
	if code := <-third; code != http.StatusOK {
		t.Errorf("third request: %d", code)
	}
}
