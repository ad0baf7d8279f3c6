//go:build !cgo

package engine_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/engine"
)

// TestNoLibrdkafka runs with CGO_ENABLED=0: the build holds franz only and
// says so when asked for librdkafka.
func TestNoLibrdkafka(t *testing.T) {
	if got := engine.Names(); !slices.Equal(got, []string{prodlab.Franz}) {
		t.Fatalf("Names() = %v, want [franz]", got)
	}
	_, err := engine.New(prodlab.Librdkafka, prodlab.DefaultConfig())
	if !errors.Is(err, engine.ErrNotBuilt) || err.Error() != "this build has no librdkafka engine (built with CGO_ENABLED=0)" {
		t.Fatalf("New(librdkafka) = %v, want the not-built error", err)
	}
}
