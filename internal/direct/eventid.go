package direct

import (
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
)

// EventID returns r's eventId as prodlab.EventIDOf defines it: the eventId
// header, else the eventId field of a JSON value, else "".
func EventID(r *kgo.Record) string {
	return prodlab.EventIDOf(r.Headers, r.Value)
}

// SendOf returns the send r belongs to, by prodlab.SendOf.
func SendOf(r *kgo.Record) prodlab.Send {
	rec := prodlab.Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value,
		Timestamp: r.Timestamp, ProducerID: r.ProducerID, ProducerEpoch: r.ProducerEpoch}
	for _, h := range r.Headers {
		rec.Headers = append(rec.Headers, prodlab.Header{Key: h.Key, Value: h.Value})
	}
	return prodlab.SendOf(rec)
}
