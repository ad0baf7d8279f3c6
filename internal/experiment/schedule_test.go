package experiment

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/toxi/toxitest"
)

// TestSchedulesLiteral: the list is sorted, its names unique, and only
// broker-restart needs a restarter.
func TestSchedulesLiteral(t *testing.T) {
	var names []string
	for _, s := range Schedules() {
		names = append(names, s.Name())
		if got, want := s.NeedsRestarter(), s.Name() == "broker-restart"; got != want {
			t.Errorf("%s: NeedsRestarter() = %v, want %v", s.Name(), got, want)
		}
		if err := checkRestarter(s, &Faults{}); (err != nil) != s.NeedsRestarter() || (err != nil && !errors.Is(err, ErrCannotRestart)) {
			t.Errorf("%s without brokers: checkRestarter = %v", s.Name(), err)
		}
	}
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) || len(names) != 7 {
		t.Errorf("schedules %v: want 7 unique names, sorted", names)
	}
	if _, err := lookup("nope"); !errors.Is(err, ErrUnknownSchedule) {
		t.Errorf("lookup(nope) = %v", err)
	}
}

// TestRemoveToxicFailureKept fails a toxic's removal: the name stays
// active, so that the run's clean-up tries it again.
func TestRemoveToxicFailureKept(t *testing.T) {
	p, srv := toxitest.Proxy(t)
	ps := func(context.Context) (target.Proxies, error) { return target.Proxies{p}, nil }
	f := &Faults{proxies: ps, active: map[string]bool{}}
	if err := f.AddToxic("x", "latency", "downstream", map[string]any{"latency": 10}); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if err := f.RemoveToxic("x"); err == nil {
		t.Fatal("RemoveToxic succeeded with Toxiproxy gone")
	}
	if !f.active["x"] {
		t.Fatal("a toxic whose removal failed was forgotten")
	}
}
