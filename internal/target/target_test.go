package target_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/target"
)

func TestCheck(t *testing.T) {
	d := target.Default()
	if errs := d.Check("measure", "."); len(errs) > 0 {
		t.Fatalf("default target: %v", errors.Join(errs...))
	}
	for _, tc := range []struct {
		name     string
		mod      func(*target.Target)
		reserved string
		want     string
	}{
		{"no api", func(t *target.Target) { t.APIs = nil }, "", "no API to measure"},
		{"reserved", func(t *target.Target) { t.APIs[0].Name = "fr.anz" }, ".", "use a plain word"},
		{"twice", func(t *target.Target) { t.APIs[1].Name = t.APIs[0].Name }, "", "given twice"},
		{"api url", func(t *target.Target) { t.APIs[0].URL = "ftp://x" }, "", "not an http:// URL"},
		{"toxiproxy", func(t *target.Target) { t.ToxiproxyURL = "127.0.0.1:8474" }, "", "toxiproxy:"},
		{"bootstrap", func(t *target.Target) { t.Bootstrap = nil }, "", "bootstrap"},
		{"topic", func(t *target.Target) { t.Topic = ".." }, "", "not a legal Kafka topic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := target.Default()
			tc.mod(&tg)
			err := errors.Join(tg.Check("measure", tc.reserved)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	tg := target.Default()
	tg.APIs[0].Name = "fr.anz"
	tg.Topic = ""
	if errs := tg.Check("validate", ""); len(errs) > 0 || tg.Topic != prodlab.DefaultTopic {
		t.Fatalf("Check() = %v, topic %q; want no error and the default topic", errors.Join(errs...), tg.Topic)
	}
}

func TestCheckTimings(t *testing.T) {
	tg := target.Target{}
	if errs := tg.CheckTimings(); len(errs) > 0 || tg.RequestTimeout != time.Second || tg.RetryBackoff != 100*time.Millisecond {
		t.Fatalf("CheckTimings() = %v, timings %v and %v; want the defaults 1s and 100ms", errors.Join(errs...), tg.RequestTimeout, tg.RetryBackoff)
	}
	tg.RequestTimeout, tg.RetryBackoff = time.Millisecond, -1
	if errs := tg.CheckTimings(); len(errs) != 2 {
		t.Fatalf("CheckTimings() = %v, want one error per timing", errors.Join(errs...))
	}
}
