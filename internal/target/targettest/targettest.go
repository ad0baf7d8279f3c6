// Package targettest points validate and experiment runs at a test lab.
package targettest

import (
	"testing"

	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

// Of returns the target of every API of l, writing to topic, with the
// default producer timings.
func Of(l *lab.Lab, topic string) target.Target {
	t := target.Default()
	t.APIs, t.ToxiproxyURL, t.Bootstrap, t.Topic = nil, l.ToxiproxyURL(), l.DirectAddrs(), topic
	for _, a := range l.APIs() {
		t.APIs = append(t.APIs, target.API{Name: a.Engine.Name(), URL: a.URL})
	}
	return t
}

// Toxics returns every toxic left on l's proxies, as proxy/toxic.
func Toxics(t *testing.T, l *lab.Lab) []string {
	t.Helper()
	tc, err := toxiclient.New(l.ToxiproxyURL())
	if err != nil {
		t.Fatal(err)
	}
	ps, err := tc.Proxies(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
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
