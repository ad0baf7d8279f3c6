package console_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/progress"
	"github.com/prodlab/prodlab/internal/wait"
)

// TestProgressFromTheConsole: a validate run started from the console
// ticks 02.4 as one from the command line does; the table is served at
// /api/progress and reset by a same-origin POST only.
func TestProgressFromTheConsole(t *testing.T) {
	l := labtest.Start(t, func(c *lab.Config) { c.ConsolePort = 0 })
	base := l.ConsoleURL()
	var rep progress.Report
	decode(t, call(t, "GET", base+"/api/progress", ""), &rep)
	if len(rep.Rows) != len(progress.Checkpoints) || rep.Done() != 0 || rep.Guide == "" {
		t.Fatalf("a new lab's table: %+v", rep)
	}
	if r := call(t, "GET", base+"/api/progress?lang=en", ""); r.code != 400 {
		t.Fatalf("GET /api/progress?lang=en = %d, want 400", r.code)
	}
	if r := call(t, "POST", base+"/api/runs?kind=validate", ""); r.code != 202 {
		t.Fatalf("start validate: %d %s", r.code, r.raw)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	ticked := func(id progress.ID) bool {
		decode(t, call(t, "GET", base+"/api/progress", ""), &rep)
		for _, row := range rep.Rows {
			if row.ID == id {
				return row.Tick != nil
			}
		}
		return false
	}
	if err := wait.Until(ctx, func() bool { return ticked(progress.Validate) }); err != nil {
		t.Fatalf("02.4 not ticked by the console's validate: %v", err)
	}

	req, _ := http.NewRequest("POST", base+"/api/progress/reset", nil)
	req.Header.Set("Origin", "http://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || !ticked(progress.Validate) {
		t.Fatalf("a cross-origin reset answered %d and left 02.4 ticked=%v", resp.StatusCode, ticked(progress.Validate))
	}
	if r := call(t, "GET", base+"/api/progress/reset", ""); r.code != 405 {
		t.Fatalf("GET reset = %d, want 405", r.code)
	}
	r := call(t, "POST", base+"/api/progress/reset", "")
	decode(t, r, &rep)
	if r.code != 200 || rep.Done() != 0 || ticked(progress.Validate) {
		t.Fatalf("reset: %d, %d still ticked", r.code, rep.Done())
	}
}
