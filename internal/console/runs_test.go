package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/console"
	"github.com/prodlab/prodlab/internal/validate"
)

// TestCloseWaitsForRun closes the console during a validation: Close
// returns only once the run has ended, its clean-up done.
func TestCloseWaitsForRun(t *testing.T) {
	cleaning, release, cleaned := make(chan struct{}), make(chan struct{}), make(chan struct{})
	c, err := console.New(console.Validate(func(ctx context.Context, progress func(string)) (validate.Report, error) {
		<-ctx.Done()
		close(cleaning) // a run removes its toxics after its context ends
		<-release
		close(cleaned)
		return validate.Report{}, ctx.Err()
	}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.Routes())
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/api/runs?kind=validate", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start a run: %d", resp.StatusCode)
	}
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	<-cleaning
	select {
	case <-closed:
		t.Fatal("Close returned while the run was still cleaning up")
	default:
	}
	close(release)
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not return after the run ended")
	}
	select {
	case <-cleaned:
	default:
		t.Fatal("Close returned before the run's clean-up")
	}
}
