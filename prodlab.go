// Package prodlab holds the domain types shared by every part of the lab:
// producer modes, send requests, deliveries and send states.
package prodlab

import (
	"errors"
	"fmt"
)

// DefaultTopic is the topic the seed module writes to.
const DefaultTopic = "bhf-transactions"

// DefaultPartitions is the partition count of DefaultTopic.
const DefaultPartitions = 3

// Mode is a producer mode: plain or idempotent.
type Mode string

// The producer modes.
const (
	// Plain disables idempotence; acks come from KAFKA_ACKS_PLAIN.
	Plain Mode = "plain"
	// Idempotent enables idempotence with acks=all.
	Idempotent Mode = "idempotent"
)

// Modes lists every mode, in the order reports use.
var Modes = []Mode{Idempotent, Plain}

// ParseMode returns the Mode named s, or an error naming the allowed values.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case Plain, Idempotent:
		return Mode(s), nil
	case "":
		return "", errors.New("mode is required: plain or idempotent")
	}
	return "", fmt.Errorf("mode %q is not allowed: plain or idempotent", s)
}

// SendMode says whether the API waits for the broker's answer.
type SendMode string

// The send modes.
const (
	Sync  SendMode = "sync"
	Async SendMode = "async"
)

// ParseSendMode returns the SendMode named s; an empty s means Sync.
func ParseSendMode(s string) (SendMode, error) {
	switch SendMode(s) {
	case "":
		return Sync, nil
	case Sync, Async:
		return SendMode(s), nil
	}
	return "", fmt.Errorf("sendMode %q is not allowed: sync or async", s)
}

// Header is a record header.
type Header struct {
	Key   string
	Value []byte
}

// Message is one record to produce.
type Message struct {
	Topic   string
	Key     []byte
	Value   []byte
	Headers []Header
	// Partition is the target partition, or AnyPartition to hash the key.
	Partition int32
}

// AnyPartition asks the engine's partitioner to choose by key (murmur2).
const AnyPartition int32 = -1

// Delivery is the broker's answer for one Message.
type Delivery struct {
	Topic     string
	Partition int32
	Offset    int64
	Err       error
}

// State is the state of a send as the status store reports it.
type State string

// The send states.
const (
	Pending State = "PENDING"
	OK      State = "OK"
	Failed  State = "ERROR"
)

// Status is what the store knows about one async send.
type Status struct {
	State     State
	EventID   string
	Topic     string
	Partition int32
	Offset    int64
	Err       string
}

// Value is the JSON body of every record the APIs write.
type Value struct {
	EventID  string   `json:"eventId"`
	Mode     Mode     `json:"mode"`
	SendMode SendMode `json:"sendMode"`
	API      string   `json:"api"`
	TS       int64    `json:"ts"`
}

// Record header names carried by every record the APIs write.
const (
	HeaderEventID = "eventId"
	HeaderMode    = "mode"
)

// Sentinel errors shared by engines and the API.
var (
	// ErrBufferFull means the producer's buffer is full; retry later.
	ErrBufferFull = errors.New("producer buffer is full")
	// ErrUnknownTopic means the topic does not exist on the cluster.
	ErrUnknownTopic = errors.New("unknown topic")
	// ErrClosed means the engine is shutting down and takes no new sends.
	ErrClosed = errors.New("producer is closed")
)
