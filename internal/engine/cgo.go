//go:build cgo

package engine

import "github.com/prodlab/prodlab/internal/librdkafka"

var librdkafkaNew NewFunc = librdkafka.New

// LibrdkafkaVersion returns the version of the librdkafka linked in, as
// librdkafka reports it.
var LibrdkafkaVersion = librdkafka.Version
