// Package engine is the registry of the producer engines: one package per
// client library (internal/franz, and internal/librdkafka when built with
// cgo), chosen by name.
package engine

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/franz"
	"github.com/prodlab/prodlab/internal/i18n"
)

// NewFunc builds an engine from a Config, validating it first.
type NewFunc func(prodlab.Config) (prodlab.Producer, error)

// ErrNotBuilt means the engine is known but this binary was built without
// it: librdkafka needs cgo.
var ErrNotBuilt = errors.New("built with CGO_ENABLED=0")

// registry holds every engine; a nil NewFunc is one this build leaves out
// (librdkafka with CGO_ENABLED=0).
var registry = map[string]NewFunc{
	prodlab.Franz:      franz.New,
	prodlab.Librdkafka: librdkafkaNew,
}

// Names lists the engines this build holds, sorted.
func Names() []string {
	return slices.DeleteFunc(slices.Sorted(maps.Keys(registry)), func(n string) bool { return registry[n] == nil })
}

// Built reports whether this build holds the engine called name.
func Built(name string) bool { return registry[name] != nil }

// Check says whether this build holds the engine called name: nil, or
// the error that it is unknown or left out of this build.
func Check(name string) error {
	switch fn, ok := registry[name]; {
	case !ok:
		return i18n.Errorf("engine.unknown", "name", strconv.Quote(name), "names", strings.Join(Names(), ", "))
	case fn == nil:
		return NotBuiltError(name)
	}
	return nil
}

// New builds the engine called name from cfg, which it validates.
func New(name string, cfg prodlab.Config) (prodlab.Producer, error) {
	if err := Check(name); err != nil {
		return nil, err
	}
	return registry[name](cfg)
}

// NotBuiltError says that this build has no engine called name; it wraps
// ErrNotBuilt.
func NotBuiltError(name string) error {
	return &i18n.Error{Msg: i18n.M("engine.notBuilt", "name", name), Err: ErrNotBuilt}
}
