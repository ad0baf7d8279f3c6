package kafkalocal

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestOptsValidated: every entry point checks its options before it does
// anything, and a bad value is refused, not replaced by a default.
func TestOptsValidated(t *testing.T) {
	for _, c := range []struct {
		opt  Opt
		want string
	}{
		{Dir(""), "Dir is empty"},
		{KafkaVersion(""), "Version is empty"},
		{Java(""), "Java is empty"},
		{Maven(""), "Maven is empty"},
		{ReadyTimeout(0), "ReadyTimeout 0s"},
		{ReadyTimeout(-1), "ReadyTimeout -1ns"},
		{StopTimeout(-5), "StopTimeout -5ns"},
		{Output(nil), "Output is nil"},
	} {
		// A dir that must never be created: validation comes first.
		opts := []Opt{Dir(t.TempDir() + "/never"), c.opt}
		errs := []error{Down(context.Background(), opts...), WaitReady(context.Background(), opts...)}
		_, err := Status(context.Background(), opts...)
		errs = append(errs, err)
		for _, err := range errs {
			if !errors.Is(err, ErrOption) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %v, want ErrOption naming it", c.want, err)
			}
		}
	}
	if c, err := newConfig(nil); err != nil || c.readyTimeout <= 0 || c.out == nil {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
}
