package broker

import (
	"math/rand/v2"
	"testing"
)

// TestScanSegmentBounded checks a segment of random bytes, the worst case
// for the look past the damage, is scanned within maxRescan.
func TestScanSegmentBounded(t *testing.T) {
	raw := make([]byte, 8<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range raw {
		raw[i] = byte(r.UintN(256))
		if i%64 == 16 {
			raw[i] = 2 // a magic byte everywhere the scan looks
		}
	}
	s := scanSegment(0, raw)
	if s.kept != 0 || s.bad != int64(len(raw)) {
		t.Fatalf("random bytes: kept %d, bad %d of %d", s.kept, s.bad, len(raw))
	}
}
