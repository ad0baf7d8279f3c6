package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
)

// TestBannerProducerSettings: Exercise 1 restarts the lab with
// KAFKA_REQUEST_TIMEOUT_MS=3000; the banner says so, and a lab on the
// defaults prints no such line.
func TestBannerProducerSettings(t *testing.T) {
	// Each lab in its own subtest, stopped before the next starts: against
	// real Kafka both need the fixed proxy ports.
	banner := func(name string, mod ...func(*lab.Config)) (out string) {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			printBanner(&b, labtest.Start(t, mod...))
			out = b.String()
		})
		return out
	}
	if b := banner("defaults"); strings.Contains(b, "Producer settings") {
		t.Errorf("a lab on the defaults prints producer settings:\n%s", b)
	}
	b := banner("tuned", func(c *lab.Config) {
		c.Producer.RequestTimeout = 3 * time.Second
		c.Producer.DeliveryTimeout = 30 * time.Second
	})
	if !regexp.MustCompile(`(?m)^  Producer settings +KAFKA_REQUEST_TIMEOUT_MS=3000$`).MatchString(b) {
		t.Errorf("banner of a lab with KAFKA_REQUEST_TIMEOUT_MS=3000:\n%s", b)
	}
}
