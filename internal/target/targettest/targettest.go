// Package targettest points validate and experiment runs at a test lab.
package targettest

import (
	"testing"

	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/target"
)

// Of returns the target of every API of l, writing to topic, with the
// default producer timings; opts come after.
func Of(t testing.TB, l *lab.Lab, topic string, opts ...target.Opt) *target.Target {
	t.Helper()
	tg, err := l.Target(append([]target.Opt{target.Topic(topic), target.Timings(0, 0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// NoToxics fails the test if a toxic is left on l's proxies.
func NoToxics(t *testing.T, l *lab.Lab) {
	t.Helper()
	if left := Toxics(t, l); len(left) > 0 {
		t.Fatalf("toxics left behind: %v", left)
	}
}

// Toxics returns every toxic left on l's proxies, as proxy/toxic.
func Toxics(t *testing.T, l *lab.Lab) []string {
	t.Helper()
	var out []string
	for _, p := range labtest.Proxies(t, l) {
		ts, err := p.Toxics(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range ts {
			out = append(out, p.Name+"/"+x.Name)
		}
	}
	return out
}
