//go:build !cgo

package engine

// librdkafkaNew is nil: librdkafka needs cgo.
var librdkafkaNew NewFunc
