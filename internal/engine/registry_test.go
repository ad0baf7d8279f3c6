package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/engine"
)

func TestRegistry(t *testing.T) {
	if _, err := engine.New("kafka-go", prodlab.DefaultConfig()); err == nil || !strings.Contains(err.Error(), `unknown engine "kafka-go"`) {
		t.Errorf("unknown engine: %v", err)
	}
	bad := prodlab.DefaultConfig()
	bad.AcksPlain = "2"
	for _, name := range engine.Names() {
		if !engine.Built(name) {
			t.Errorf("Names lists %s, which Built denies", name)
		}
		// Each engine's constructor validates its Config.
		if _, err := engine.New(name, bad); err == nil || !strings.Contains(err.Error(), "KAFKA_ACKS_PLAIN") {
			t.Errorf("%s with acks 2: %v", name, err)
		}
	}
	if err := engine.NotBuiltError("x"); !errors.Is(err, engine.ErrNotBuilt) {
		t.Errorf("NotBuiltError does not match ErrNotBuilt")
	}
}
