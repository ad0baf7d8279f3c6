// Package engine is the registry of the producer engines: one package per
// client library (internal/franz, and internal/librdkafka when built with
// cgo), chosen by name.
package engine

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/franz"
)

// NewFunc builds an engine from a Config, validating it first.
type NewFunc func(prodlab.Config) (prodlab.Producer, error)

// ErrNotBuilt means the engine is known but this binary was built without
// it.
var ErrNotBuilt = errors.New("engine not in this build")

// registry holds every engine; a nil NewFunc is one this build leaves out
// (librdkafka with CGO_ENABLED=0).
var registry = map[string]NewFunc{
	prodlab.Franz:      franz.New,
	prodlab.Librdkafka: librdkafkaNew,
}

// Names lists the engines this build holds, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n, fn := range registry {
		if fn != nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Built reports whether this build holds the engine called name.
func Built(name string) bool { return registry[name] != nil }

// New builds the engine called name from cfg, which it validates.
func New(name string, cfg prodlab.Config) (prodlab.Producer, error) {
	fn, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("engine %q is unknown: %s", name, strings.Join(Names(), " or "))
	}
	if fn == nil {
		return nil, NotBuiltError(name)
	}
	return fn(cfg)
}

// NotBuiltError says that this build has no engine called name; it
// matches ErrNotBuilt.
func NotBuiltError(name string) error { return notBuilt(name) }

type notBuilt string

func (n notBuilt) Error() string {
	return "this build has no " + string(n) + " engine (built with CGO_ENABLED=0)"
}

func (notBuilt) Is(target error) bool { return target == ErrNotBuilt }

// LibrdkafkaVersion returns the version of the librdkafka linked in, as
// librdkafka reports it, or "" when this build has none.
func LibrdkafkaVersion() string {
	if librdkafkaVersion == nil {
		return ""
	}
	return librdkafkaVersion()
}
