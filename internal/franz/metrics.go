package franz

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kprom"
)

// MetricsNamespace prefixes the franz-go client metrics, e.g.
// prodlab_franz_produce_records_total.
const MetricsNamespace = "prodlab_franz"

// clientMetrics returns the kprom hook of one client into reg, every
// series labelled producer="plain" or "idempotent".
func clientMetrics(reg *prometheus.Registry, producer string) kgo.Opt {
	return kgo.WithHooks(kprom.NewMetrics(MetricsNamespace,
		kprom.Registry(reg),
		kprom.WithStaticLabel(prometheus.Labels{"producer": producer}),
		kprom.FetchAndProduceDetail(kprom.ByNode, kprom.ByTopic, kprom.Records, kprom.Batches, kprom.UncompressedBytes),
		kprom.Histograms(kprom.RequestDurationE2E),
	))
}

// Metrics returns the two clients' kprom metrics. They leave the registry
// when the engine closes.
func (f *franz) Metrics() prometheus.Gatherer { return f.reg }
