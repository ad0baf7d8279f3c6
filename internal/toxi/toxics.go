package toxi

import (
	"encoding/json"
	"errors"
	"math"

	"github.com/Shopify/toxiproxy/v2/toxics"
)

// registerToxics replaces three of Toxiproxy's toxic types with ones that
// refuse the attributes crashing the child, added or updated, as a bad
// request body: a slicer whose average_size is under 1 recurses until its
// stack overflows, one whose size_variation is not under average_size
// slices out of range, a latency jitter over MaxInt64/2 overflows in
// rand.Int63n and a negative bandwidth rate, or one over MaxInt64/100,
// slices out of range. runChild calls it first (it runs from an init).
func registerToxics() {
	toxics.Register("latency", new(latency))
	toxics.Register("slicer", new(slicer))
	toxics.Register("bandwidth", new(bandwidth))
}

type (
	latency   struct{ toxics.LatencyToxic }
	slicer    struct{ toxics.SlicerToxic }
	bandwidth struct{ toxics.BandwidthToxic }
)

func (t *latency) UnmarshalJSON(b []byte) error {
	return over(&t.LatencyToxic, b, func(v toxics.LatencyToxic) bool { return v.Jitter >= 0 && v.Jitter <= math.MaxInt64/2 },
		"latency: jitter must be 0 to 4611686018427387903 ms")
}

func (t *slicer) UnmarshalJSON(b []byte) error {
	return over(&t.SlicerToxic, b, func(v toxics.SlicerToxic) bool {
		return v.AverageSize >= 1 && v.SizeVariation >= 0 && v.SizeVariation < v.AverageSize
	}, "slicer: average_size must be at least 1, and size_variation from 0 to average_size-1")
}

func (t *bandwidth) UnmarshalJSON(b []byte) error {
	return over(&t.BandwidthToxic, b, func(v toxics.BandwidthToxic) bool { return v.Rate >= 0 && v.Rate <= math.MaxInt64/100 },
		"bandwidth: rate must be 0 to 92233720368547758 KB/s")
}

// over decodes the attributes in b over a copy of *dst, and sets *dst to
// it if ok accepts it, else answers refused.
func over[T any](dst *T, b []byte, ok func(T) bool, refused string) error {
	v := *dst
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if !ok(v) {
		return errors.New(refused)
	}
	*dst = v
	return nil
}
