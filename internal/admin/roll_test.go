package admin_test

import (
	"slices"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/admin"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/wait"
)

// TestCompactionWithoutCheck, on the target in PRODLAB_KAFKA: V1, V2 and
// V3 a second apart, then another key a second later, on a topic created
// as Étape 17 does (segment.ms=1000). Those writes roll the segments and
// the cleaner keeps only V3, with no compaction-check.
func TestCompactionWithoutCheck(t *testing.T) {
	l := labtest.Start(t)
	c := client(t, l)
	topic := labtest.Topic(t, l, 1, seedConfigPtrs())
	a := l.APIs()[0]
	pace := func() {
		if err := wait.For(t.Context(), time.Second); err != nil { // the scenario's pace
			t.Fatal(err)
		}
	}
	for i, v := range []string{"V1", "V2", "V3"} {
		if i > 0 {
			pace()
		}
		labtest.Send(t, a, "topic", topic, "eventId", v, "key", "customer-42")
	}
	pace()
	labtest.Send(t, a, "topic", topic, "eventId", "C1", "key", "customer-7")
	sent := time.Now()
	var got []string
	versions := func() bool {
		got = got[:0]
		rs, _ := readAll(t, c, admin.ConsumeSpec{Topic: topic, Idle: time.Second})
		for _, r := range rs {
			if r.KeyString() == "customer-42" {
				got = append(got, r.EventID)
			}
		}
		return slices.Equal(got, []string{"V3"})
	}
	if err := wait.Until(ctx(t, 60*time.Second), versions); err != nil {
		t.Fatalf("%s: customer-42 holds %v 60 s after the control record, want [V3]", labtest.Target(), got)
	}
	t.Logf("%s: only V3 left %s after the control record", labtest.Target(), time.Since(sent).Round(time.Millisecond))
}
