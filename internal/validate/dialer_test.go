package validate_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/target/targettest"
)

// TestValidateDialer runs Lab 02.4, as 'prodlab validate' does, against a
// lab whose three kfake brokers advertise their own addresses: the franz-go
// API, whose dialer routes each broker through its own proxy, duplicates
// in plain mode and writes one record in idempotent mode; librdkafka,
// which no fault reaches there, is reported as not validated, and the run
// still passes.
func TestValidateDialer(t *testing.T) {
	l, _ := labtest.SelfAdvertising(t, 3)
	topic := labtest.Topic(t, l, 3, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := newValidator(t, l, nil, topic).Run(ctx)
	var out strings.Builder
	_ = rep.WriteText(&out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	m := regexp.MustCompile(`^OK: franz_idempotent=1 franz_plain=(\d+)\n`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("output does not start with OK: franz_idempotent=1 franz_plain=N")
	}
	if n, _ := strconv.Atoi(m[1]); n < 2 {
		t.Fatalf("franz_plain=%d: no duplicate", n)
	}
	for _, r := range rep.Runs {
		if got := labtest.Count(t, l, topic, r.EventID); len(got) != len(r.Copies) {
			t.Errorf("%s: the report has %d copies, the log %d", r.Name(), len(r.Copies), len(got))
		}
	}
	if labtest.API(l, prodlab.Librdkafka) != nil {
		if len(rep.NoFaults) != 1 || rep.NoFaults[0].API != prodlab.Librdkafka {
			t.Fatalf("NoFaults = %+v, want librdkafka only", rep.NoFaults)
		}
		if !strings.Contains(out.String(), "librdkafka: not validated: faults cannot be injected on this cluster") {
			t.Fatal("the output does not say that no fault reaches librdkafka")
		}
	}
	if len(l.DialerProxies()) < 1 {
		t.Fatal("the dialer created no proxy")
	}
	if left := targettest.Toxics(t, l); len(left) > 0 {
		t.Fatalf("toxics left behind: %v", left)
	}
}
