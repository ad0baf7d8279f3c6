//go:build cgo

package engine

import "github.com/prodlab/prodlab/internal/librdkafka"

var (
	librdkafkaNew     NewFunc = librdkafka.New
	librdkafkaVersion         = librdkafka.Version
)
