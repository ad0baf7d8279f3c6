package experiment

import (
	"errors"
	"slices"
	"testing"
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
