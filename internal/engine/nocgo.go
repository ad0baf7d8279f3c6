//go:build !cgo

package engine

// librdkafkaNew is nil: librdkafka needs cgo.
var librdkafkaNew NewFunc

// LibrdkafkaVersion returns "": this build has no librdkafka.
func LibrdkafkaVersion() string { return "" }
