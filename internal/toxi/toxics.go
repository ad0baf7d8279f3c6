package toxi

import (
	"encoding/json"
	"errors"
	"math"

	"github.com/Shopify/toxiproxy/v2/toxics"
)

// registerToxics replaces two of Toxiproxy's toxic types with ones that
// refuse the attributes crashing the child, added or updated, as a bad
// request body: a slicer whose average_size is under 1 recurses until its
// stack overflows, one whose size_variation is not under average_size
// slices out of range, and a latency jitter over MaxInt64/2 overflows in
// rand.Int63n. runChild calls it first (it runs from an init).
func registerToxics() {
	toxics.Register("latency", new(latency))
	toxics.Register("slicer", new(slicer))
}

type latency struct{ toxics.LatencyToxic }

// UnmarshalJSON sets the attributes in b over t's, unless they are refused.
func (t *latency) UnmarshalJSON(b []byte) error {
	v := t.LatencyToxic
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Jitter < 0 || v.Jitter > math.MaxInt64/2 {
		return errors.New("latency: jitter must be 0 to 4611686018427387903 ms")
	}
	t.LatencyToxic = v
	return nil
}

type slicer struct{ toxics.SlicerToxic }

// UnmarshalJSON sets the attributes in b over t's, unless they are refused.
func (t *slicer) UnmarshalJSON(b []byte) error {
	v := t.SlicerToxic
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.AverageSize < 1 || v.SizeVariation < 0 || v.SizeVariation >= v.AverageSize {
		return errors.New("slicer: average_size must be at least 1, and size_variation from 0 to average_size-1")
	}
	t.SlicerToxic = v
	return nil
}
