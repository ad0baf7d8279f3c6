package prodlab

import (
	"slices"
	"testing"
)

func TestSplitList(t *testing.T) {
	for in, want := range map[string][]string{
		"":               nil,
		" , ,":           nil,
		"a":              {"a"},
		"a, b,,c ":       {"a", "b", "c"},
		"[::1]:9092,x:1": {"[::1]:9092", "x:1"},
	} {
		if got := SplitList(in); !slices.Equal(got, want) || (want == nil) != (got == nil) {
			t.Errorf("SplitList(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestChanged lists each producer setting set away from the lab's
// defaults, and only those.
func TestChanged(t *testing.T) {
	c := DefaultConfig()
	if got := c.Changed(); len(got) != 0 {
		t.Errorf("defaults: Changed() = %v, want none", got)
	}
	env := map[string]string{"KAFKA_REQUEST_TIMEOUT_MS": "3000", "KAFKA_RETRIES": "10", "KAFKA_ACKS_PLAIN": "all", "KAFKA_BOOTSTRAP_SERVERS": "k:9092"}
	if err := c.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	want := []string{"KAFKA_REQUEST_TIMEOUT_MS=3000", "KAFKA_ACKS_PLAIN=all"}
	if got := c.Changed(); !slices.Equal(got, want) {
		t.Errorf("Changed() = %v, want %v (KAFKA_RETRIES=10 is the default)", got, want)
	}
}
