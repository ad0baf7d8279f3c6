package target_test

import (
	"io"
	"net/http"
	"net/http/httptest"
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

// TestWarmOtherServer: where another server answers the warm-up send, the
// error gives its status on one line, never its page.
func TestWarmOtherServer(t *testing.T) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotImplemented)
		io.WriteString(w, "<html>\n<p>Unsupported method ('POST')</p>\n</html>\n")
	}))
	defer page.Close()
	a := target.API{Name: "franz", URL: page.URL}
	tg, err := target.New(target.APIs(a))
	if err != nil {
		t.Fatal(err)
	}
	err = tg.Warm(t.Context(), a, nil, []prodlab.Mode{prodlab.Plain}, nil, func(prodlab.Mode) string { return "warm" })
	if err == nil || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "<p>") || !strings.Contains(err.Error(), "501: Not Implemented") {
		t.Fatalf("warm-up answered by a web page: %v, want one line with its status", err)
	}
}
