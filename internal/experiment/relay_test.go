package experiment_test

import (
	"testing"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/target/targettest"
)

// TestAckLossRelay runs ack-loss against a lab in relay mode over a kfake
// broker that advertises its own address: every API crosses the proxies,
// librdkafka included, so every row is measured: plain duplicates,
// idempotent does not.
func TestAckLossRelay(t *testing.T) {
	l, _ := labtest.Relayed(t, 1)
	topic := labtest.Topic(t, l, 3, nil)
	rep, _ := runShort(t, l, nil, topic, nil)
	if len(rep.NoFaults) != 0 {
		t.Fatalf("NoFaults = %+v: in relay mode every API crosses Toxiproxy", rep.NoFaults)
	}
	if len(rep.Rows) != 2*len(l.APIs()) {
		t.Fatalf("%d rows, want 2 per API (%d)", len(rep.Rows), len(l.APIs()))
	}
	for _, r := range rep.Rows {
		switch r.Mode {
		case prodlab.Idempotent:
			if r.Lost != 0 || r.Duplicated != 0 || r.Acked != n {
				t.Errorf("%s: %+v, want every send acked once", r.Name(), r)
			}
		case prodlab.Plain:
			if r.Duplicated < 1 {
				t.Errorf("%s: no duplicate: the lost acknowledgements did not reach it through the relay", r.Name())
			}
		}
	}
	if left := targettest.Toxics(t, l); len(left) > 0 {
		t.Fatalf("toxics left behind: %v", left)
	}
}
