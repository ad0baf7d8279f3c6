package target_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/target"
)

func TestNew(t *testing.T) {
	d, err := target.New()
	if err != nil {
		t.Fatalf("default target: %v", err)
	}
	if len(d.APIs()) != 2 || d.ToxiproxyURL() != "http://127.0.0.1:8474" || d.Bootstrap()[0] != "127.0.0.1:9092" || d.Topic() != prodlab.DefaultTopic {
		t.Fatalf("default target: %v %s %v %s, want the seed's ports and topic", d.APIs(), d.ToxiproxyURL(), d.Bootstrap(), d.Topic())
	}
	for _, tc := range []struct {
		name string
		opt  target.Opt
		want string
	}{
		{"name", target.APIs(target.API{Name: "fr anz", URL: "http://127.0.0.1:1"}), "use a plain word"},
		{"twice", target.APIs(d.APIs()[0], d.APIs()[0]), "given twice"},
		{"api url", target.APIs(target.API{Name: "franz", URL: "ftp://x"}), "not an http:// URL"},
		{"toxiproxy", target.Toxiproxy("127.0.0.1:8474"), "Toxiproxy (--toxiproxy):"},
		{"direct", target.Direct(nil), "Direct"},
		{"topic", target.Topic(".."), "not a legal Kafka topic"},
		{"request timeout", target.Timings(time.Millisecond, 0), "request timeout"},
		{"retry backoff", target.Timings(0, -1), "retry backoff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := target.New(tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := target.New(target.Timings(time.Millisecond, -1)); err == nil || strings.Count(err.Error(), "\n") != 1 {
		t.Fatalf("New() = %v, want one error per timing", err)
	}
}

// TestDefaultsWhereZero checks that an empty topic and zero timings mean
// the defaults.
func TestDefaultsWhereZero(t *testing.T) {
	tg, err := target.New(target.APIs(target.API{Name: "fr.anz", URL: "http://127.0.0.1:1"}), target.Topic(""), target.Timings(0, 0))
	if err != nil || tg.Topic() != prodlab.DefaultTopic || tg.RequestTimeout() != time.Second || tg.RetryBackoff() != 100*time.Millisecond {
		t.Fatalf("New() = %v, topic %q, timings %v and %v; want no error, the default topic, 1s and 100ms", err, tg.Topic(), tg.RequestTimeout(), tg.RetryBackoff())
	}
}
