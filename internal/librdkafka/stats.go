//go:build cgo

package librdkafka

import (
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/prometheus/client_golang/prometheus"
)

// metricsNamespace prefixes the metrics made of librdkafka's statistics,
// e.g. prodlab_librdkafka_txmsgs_total.
const metricsNamespace = "prodlab_librdkafka"

// stats is the part of a librdkafka statistics event (STATISTICS.md) that
// is used; EOS comes from the idempotent producer only.
type stats struct {
	MsgCnt     int64                  `json:"msg_cnt"`
	MsgSize    int64                  `json:"msg_size"`
	Tx         int64                  `json:"tx"`
	TxBytes    int64                  `json:"tx_bytes"`
	Rx         int64                  `json:"rx"`
	RxBytes    int64                  `json:"rx_bytes"`
	TxMsgs     int64                  `json:"txmsgs"`
	TxMsgBytes int64                  `json:"txmsg_bytes"`
	Brokers    map[string]brokerStats `json:"brokers"`
	EOS        *idemState             `json:"eos"`
}

// brokerStats is one broker connection's statistics.
type brokerStats struct {
	NodeID         int32  `json:"nodeid"`
	State          string `json:"state"`
	OutbufCnt      int64  `json:"outbuf_cnt"`
	OutbufMsgCnt   int64  `json:"outbuf_msg_cnt"`
	WaitrespCnt    int64  `json:"waitresp_cnt"`
	WaitrespMsgCnt int64  `json:"waitresp_msg_cnt"`
	Tx             int64  `json:"tx"`
	TxErrs         int64  `json:"txerrs"`
	TxRetries      int64  `json:"txretries"`
	ReqTimeouts    int64  `json:"req_timeouts"`
	Connects       int64  `json:"connects"`
	Disconnects    int64  `json:"disconnects"`
	RTT            struct {
		Avg int64 `json:"avg"` // microseconds
	} `json:"rtt"`
}

// stat is one metric read from statistics S.
type stat[S any] struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
	val  func(*S) float64
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(metricsNamespace, "", name), help, append([]string{"producer"}, labels...), nil)
}

var (
	clientStats = []stat[stats]{
		{desc("msg_cnt", "Records in the producer's queues (librdkafka msg_cnt)."), prometheus.GaugeValue, func(s *stats) float64 { return float64(s.MsgCnt) }},
		{desc("msg_size", "Bytes of the records in the producer's queues (msg_size)."), prometheus.GaugeValue, func(s *stats) float64 { return float64(s.MsgSize) }},
		{desc("tx_total", "Requests sent to the brokers (tx)."), prometheus.CounterValue, func(s *stats) float64 { return float64(s.Tx) }},
		{desc("tx_bytes_total", "Bytes sent to the brokers (tx_bytes)."), prometheus.CounterValue, func(s *stats) float64 { return float64(s.TxBytes) }},
		{desc("rx_total", "Responses received from the brokers (rx)."), prometheus.CounterValue, func(s *stats) float64 { return float64(s.Rx) }},
		{desc("rx_bytes_total", "Bytes received from the brokers (rx_bytes)."), prometheus.CounterValue, func(s *stats) float64 { return float64(s.RxBytes) }},
		{desc("txmsgs_total", "Records sent to the brokers, each retry counted again (txmsgs)."), prometheus.CounterValue, func(s *stats) float64 { return float64(s.TxMsgs) }},
		{desc("txmsg_bytes_total", "Record bytes sent to the brokers (txmsg_bytes)."), prometheus.CounterValue, func(s *stats) float64 { return float64(s.TxMsgBytes) }},
	}
	brokerStatList = []stat[brokerStats]{
		{desc("broker_up", "1 while the broker connection is UP.", "broker"), prometheus.GaugeValue, func(b *brokerStats) float64 { return bool01(b.State == "UP") }},
		{desc("broker_outbuf_cnt", "Requests waiting to be sent (outbuf_cnt).", "broker"), prometheus.GaugeValue, func(b *brokerStats) float64 { return float64(b.OutbufCnt) }},
		{desc("broker_outbuf_msg_cnt", "Records in requests waiting to be sent (outbuf_msg_cnt).", "broker"), prometheus.GaugeValue, func(b *brokerStats) float64 { return float64(b.OutbufMsgCnt) }},
		{desc("broker_waitresp_cnt", "Requests sent and awaiting their response (waitresp_cnt).", "broker"), prometheus.GaugeValue, func(b *brokerStats) float64 { return float64(b.WaitrespCnt) }},
		{desc("broker_waitresp_msg_cnt", "Records in requests awaiting their response (waitresp_msg_cnt).", "broker"), prometheus.GaugeValue, func(b *brokerStats) float64 { return float64(b.WaitrespMsgCnt) }},
		{desc("broker_rtt_avg_seconds", "Average request round trip of the last window (rtt.avg).", "broker"), prometheus.GaugeValue, func(b *brokerStats) float64 { return float64(b.RTT.Avg) / 1e6 }},
		{desc("broker_tx_total", "Requests sent to this broker (tx).", "broker"), prometheus.CounterValue, func(b *brokerStats) float64 { return float64(b.Tx) }},
		{desc("broker_txerrs_total", "Send errors to this broker (txerrs).", "broker"), prometheus.CounterValue, func(b *brokerStats) float64 { return float64(b.TxErrs) }},
		{desc("broker_txretries_total", "Requests resent to this broker (txretries).", "broker"), prometheus.CounterValue, func(b *brokerStats) float64 { return float64(b.TxRetries) }},
		{desc("broker_req_timeouts_total", "Requests to this broker that timed out (req_timeouts).", "broker"), prometheus.CounterValue, func(b *brokerStats) float64 { return float64(b.ReqTimeouts) }},
		{desc("broker_connects_total", "Connections made to this broker (connects).", "broker"), prometheus.CounterValue, func(b *brokerStats) float64 { return float64(b.Connects) }},
		{desc("broker_disconnects_total", "Connections to this broker lost or closed (disconnects).", "broker"), prometheus.CounterValue, func(b *brokerStats) float64 { return float64(b.Disconnects) }},
	}
	idemStateDesc = desc("idempotent_state", "1 for the idempotent producer's current state (eos.idemp_state, e.g. Assigned).", "state")
	idemPIDDesc   = desc("idempotent_producer_id", "The idempotent producer's producer id (eos.producer_id), -1 before one is assigned.")
)

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// collector serves the latest statistics of both producers, labelled
// producer="plain" or "idempotent", and per broker connection.
type collector struct{ l *librdkafka }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, s := range clientStats {
		ch <- s.desc
	}
	for _, s := range brokerStatList {
		ch <- s.desc
	}
	ch <- idemStateDesc
	ch <- idemPIDDesc
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.l.producers() {
		s := p.last.Load()
		if s == nil {
			continue
		}
		for _, st := range clientStats {
			ch <- prometheus.MustNewConstMetric(st.desc, st.typ, st.val(s), p.name)
		}
		for name, b := range s.Brokers {
			for _, st := range brokerStatList {
				ch <- prometheus.MustNewConstMetric(st.desc, st.typ, st.val(&b), p.name, name)
			}
		}
		if s.EOS != nil {
			ch <- prometheus.MustNewConstMetric(idemStateDesc, prometheus.GaugeValue, 1, p.name, s.EOS.State)
			ch <- prometheus.MustNewConstMetric(idemPIDDesc, prometheus.GaugeValue, float64(s.EOS.ProducerID), p.name)
		}
	}
}

// Metrics returns gauges and counters made of both producers' latest
// statistics, refreshed every statsInterval.
func (l *librdkafka) Metrics() prometheus.Gatherer {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{l})
	return reg
}

// Version returns the linked librdkafka's version, e.g. "2.12.0".
func Version() string {
	_, v := kafka.LibraryVersion()
	return v
}
