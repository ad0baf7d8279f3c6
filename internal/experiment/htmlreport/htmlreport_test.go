package htmlreport

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/experiment"
)

// TestReportRendersOffline opens a report in headless Chromium, the page
// forbidding every network fetch: the inlined Chart.js draws the outcome
// chart, whose label gives each bar's total.
func TestReportRendersOffline(t *testing.T) {
	bin := os.Getenv("CHROMIUM")
	if bin == "" {
		bin = "/usr/bin/chromium"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("no Chromium at %s (set CHROMIUM): %v", bin, err)
	}
	rep := experiment.Report{Schedule: "ack-loss", RunID: "r1", Rows: []experiment.Row{
		{API: "franz", Mode: prodlab.Plain, Sent: 7, Copies: map[string][3]int{"acked": {0, 5, 1}, "failed": {1, 0, 0}}},
		{API: "librdkafka", Mode: prodlab.Idempotent, Sent: 3, Copies: map[string][3]int{"indeterminate": {1, 1, 1}}},
	}}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f, rep); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--dump-dom", "file://"+page).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	want := `aria-label="Outcomes per engine × mode (ack-loss): franz plain: 7 requests, librdkafka idempotent: 3 requests"`
	if !strings.Contains(string(out), want) {
		i := strings.Index(string(out), `id="outcomes"`)
		t.Fatalf("the outcome chart was not drawn, want %s; canvas: %.300s", want, string(out)[max(i-200, 0):])
	}
}
