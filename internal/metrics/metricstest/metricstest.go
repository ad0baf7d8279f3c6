// Package metricstest scrapes a Prometheus text endpoint in tests and reads
// values out of the answer.
package metricstest

import (
	"net/http"
	"slices"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families is one scrape: metric families by name.
type Families map[string]*dto.MetricFamily

// Scrape GETs url (a /metrics endpoint), within 10 s, and parses its text
// answer; any failure fails t.
func Scrape(t testing.TB, url string) Families {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s", url, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); expfmt.ResponseFormat(resp.Header).FormatType() != expfmt.TypeTextPlain {
		t.Fatalf("scrape %s: Content-Type %q, want Prometheus text", url, ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	return fams
}

// Value sums the series of metric name whose labels include every pair of
// labels: a counter's or gauge's value, a histogram's sample count. It is
// 0 when no series matches.
func (f Families) Value(name string, labels map[string]string) float64 {
	var sum float64
	for _, m := range f.series(name, labels) {
		// A series holds one type; the getters of the others return 0.
		sum += m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount()) + m.GetUntyped().GetValue()
	}
	return sum
}

// Has reports whether any series of metric name carries every pair of
// labels.
func (f Families) Has(name string, labels map[string]string) bool {
	return len(f.series(name, labels)) > 0
}

// series returns the series of metric name that carry every pair of labels.
func (f Families) series(name string, labels map[string]string) []*dto.Metric {
	return slices.DeleteFunc(slices.Clone(f[name].GetMetric()), func(m *dto.Metric) bool { return !matches(m, labels) })
}

func matches(m *dto.Metric, labels map[string]string) bool {
	found := 0
	for _, lp := range m.GetLabel() {
		if v, ok := labels[lp.GetName()]; ok {
			if v != lp.GetValue() {
				return false
			}
			found++
		}
	}
	return found == len(labels)
}
