package console_test

import (
	"testing"

	"github.com/prodlab/prodlab/internal/labtest"
)

// TestSeedEventIDs finds the records of an API that follows the seed's
// contract, whose eventId is only in the JSON value, in the messages and
// duplicates views.
func TestSeedEventIDs(t *testing.T) {
	l, base := start(t)
	topic := labtest.Topic(t, l, 3, nil)
	labtest.ProduceSeed(t, l, topic, 0, "seed-twice")
	labtest.ProduceSeed(t, l, topic, 2, "seed-twice")
	labtest.ProduceSeed(t, l, topic, 1, "seed-once")
	var d struct {
		EventIDs, Duplicated int
		Duplicates           []struct {
			EventID string
			Copies  []struct{ Partition int32 }
		}
	}
	eventually(t, "the duplicates view lists seed-twice", func() bool {
		decode(t, call(t, "GET", base+"/api/duplicates?topic="+topic, ""), &d)
		return d.EventIDs == 2
	})
	if d.Duplicated != 1 || len(d.Duplicates) != 1 || d.Duplicates[0].EventID != "seed-twice" || len(d.Duplicates[0].Copies) != 2 {
		t.Fatalf("duplicates: %+v", d)
	}
	var m struct {
		Records []struct{ EventID string }
	}
	decode(t, call(t, "GET", base+"/api/messages?topic="+topic+"&q=seed-once", ""), &m)
	if len(m.Records) != 1 || m.Records[0].EventID != "seed-once" {
		t.Fatalf("messages filtered by seed-once: %+v", m)
	}
}
