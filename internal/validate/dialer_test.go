package validate_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/target/targettest"
)

// TestValidateDialer runs Lab 02.4 against a lab whose three kfake brokers
// advertise their own addresses: the franz-go API, whose dialer routes
// each broker through its own proxy, duplicates in plain mode and writes
// one record in idempotent mode; librdkafka, which no fault reaches there,
// is reported as not validated, and the run still passes.
func TestValidateDialer(t *testing.T) {
	l, _ := labtest.SelfAdvertising(t, 3)
	rep, out := runValidate(t, l, targettest.Of(t, l, labtest.Topic(t, l, 3, nil)))
	m := regexp.MustCompile(`^OK: franz_idempotent=1 franz_plain=(\d+)\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output does not start with OK: franz_idempotent=1 franz_plain=N")
	}
	if n, _ := strconv.Atoi(m[1]); n < 2 {
		t.Fatalf("franz_plain=%d: no duplicate", n)
	}
	if labtest.API(l, prodlab.Librdkafka) != nil {
		if len(rep.NoFaults) != 1 || rep.NoFaults[0].API != prodlab.Librdkafka {
			t.Fatalf("NoFaults = %+v, want librdkafka only", rep.NoFaults)
		}
		if !strings.Contains(out, "librdkafka: not validated: faults cannot be injected on this cluster") {
			t.Fatal("the output does not say that no fault reaches librdkafka")
		}
	}
	if len(l.DialerProxies()) < 1 {
		t.Fatal("the dialer created no proxy")
	}
}
