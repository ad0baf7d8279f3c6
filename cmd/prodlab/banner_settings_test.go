package main

import (
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
	banner := func(mod ...func(*lab.Config)) string {
		var b strings.Builder
		printBanner(&b, labtest.Start(t, mod...))
		return b.String()
	}
	if b := banner(); strings.Contains(b, "Producer settings") {
		t.Errorf("a lab on the defaults prints producer settings:\n%s", b)
	}
	b := banner(func(c *lab.Config) {
		c.Producer.RequestTimeout = 3 * time.Second
		c.Producer.DeliveryTimeout = 30 * time.Second
	})
	if !strings.Contains(b, "  Producer settings          KAFKA_REQUEST_TIMEOUT_MS=3000\n") {
		t.Errorf("banner of a lab with KAFKA_REQUEST_TIMEOUT_MS=3000:\n%s", b)
	}
}
