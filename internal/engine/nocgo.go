//go:build !cgo

package engine

// librdkafkaNew and librdkafkaVersion are nil: librdkafka needs cgo.
var (
	librdkafkaNew     NewFunc
	librdkafkaVersion func() string
)
