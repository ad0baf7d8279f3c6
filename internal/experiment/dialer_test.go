package experiment_test

import (
	"strings"
	"testing"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/target/targettest"
)

// TestAckLossDialer runs ack-loss against a lab whose kfake broker
// advertises its own address: the franz-go rows, whose connections cross
// the dialer's proxy, get the faults (plain duplicates, idempotent does
// not); librdkafka, which no fault reaches there, is left out and named.
func TestAckLossDialer(t *testing.T) {
	l, _ := labtest.SelfAdvertising(t, 1)
	topic := labtest.Topic(t, l, 3, nil)
	rep, tab := runShort(t, l, nil, topic, nil)
	if len(rep.Rows) != 2 {
		t.Fatalf("%d rows, want franz's 2", len(rep.Rows))
	}
	for _, r := range rep.Rows {
		if r.API != prodlab.Franz {
			t.Errorf("row %s: only franz-go's connections cross the proxies", r.Name())
		}
		switch r.Mode {
		case prodlab.Idempotent:
			if r.Lost != 0 || r.Duplicated != 0 || r.Acked != n {
				t.Errorf("%s: %+v, want every send acked once", r.Name(), r)
			}
		case prodlab.Plain:
			if r.Duplicated < 1 {
				t.Errorf("%s: no duplicate: the lost acknowledgements did not reach franz-go through the dialer's proxy", r.Name())
			}
		}
	}
	if labtest.API(l, prodlab.Librdkafka) != nil {
		if len(rep.NoFaults) != 1 || rep.NoFaults[0].API != prodlab.Librdkafka || !strings.Contains(tab, "librdkafka: not measured: faults cannot be injected") {
			t.Fatalf("NoFaults = %+v; the table must say that no fault reaches librdkafka", rep.NoFaults)
		}
	}
	if left := targettest.Toxics(t, l); len(left) > 0 {
		t.Fatalf("toxics left behind: %v", left)
	}
}
