package direct

import (
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
)

// EventID returns r's eventId as prodlab.EventIDOf defines it: the eventId
// header, else the eventId field of a JSON value, else "".
func EventID(r *kgo.Record) string {
	return prodlab.EventIDOf(func(yield func(string, []byte) bool) {
		for _, h := range r.Headers {
			if !yield(h.Key, h.Value) {
				return
			}
		}
	}, r.Value)
}
