package lab_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/wait"
)

// TestConsoleRuns starts Lab 02.4's validation and an ack-loss experiment
// from the console of an embedded lab: the lab builds their target from
// its own APIs, Toxiproxy and direct listeners, and both end ok with a
// report of every engine.
func TestConsoleRuns(t *testing.T) {
	l := labtest.Start(t, func(c *lab.Config) { c.ConsolePort = 0 })
	type run struct {
		State, Error string
		Validate     *struct{ Runs []struct{ API, Mode string } }
		Experiment   *struct{ Rows []struct{ API, Mode string } }
	}
	for _, start := range []string{"kind=validate", "kind=experiment&schedule=ack-loss&n=20"} {
		resp, err := http.Post(l.ConsoleURL()+"/api/runs?"+start, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST /api/runs?%s: %d", start, resp.StatusCode)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		var cur run
		err = wait.Until(ctx, func() bool {
			resp, err := http.Get(l.ConsoleURL() + "/api/runs/current")
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			cur = run{}
			return json.NewDecoder(resp.Body).Decode(&cur) == nil && cur.State != "running"
		})
		cancel()
		if err != nil || cur.State != "ok" {
			t.Fatalf("%s: state %q, error %q (%v)", start, cur.State, cur.Error, err)
		}
		n := 0
		switch {
		case strings.Contains(start, "validate") && cur.Validate != nil:
			n = len(cur.Validate.Runs)
		case cur.Experiment != nil:
			n = len(cur.Experiment.Rows)
		}
		if want := 2 * len(l.APIs()); n != want {
			t.Errorf("%s: %d runs or rows in the report, want %d: %+v", start, n, want, cur)
		}
	}
}
