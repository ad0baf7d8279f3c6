package prodlab

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// What counts as a copy of a send, for every observer of the lab
// (validate, experiment, progress, the console):
//
//  1. A record belongs to the send of its eventId (EventIDOf, in
//     eventid.go); a record without one belongs to no send.
//  2. Two records of one eventId are copies of one send, a producer retry,
//     when they carry the same key, value and timestamp and were written by
//     the same producer id (SendOf gives that identity). A producer that
//     retries a batch sends the batch it built: its records keep their
//     value and their CreateTime timestamp. The epoch is left out on
//     purpose: an idempotent producer that bumps its epoch re-sends its
//     in-flight records under the new one, and those are still retries (a
//     retry under the same producer id, epoch and sequence is the one the
//     broker drops). A non-idempotent producer has producer id -1 for every
//     record, so only key, value and timestamp tell.
//  3. Anything else of the same eventId is a second send: a trainee who
//     sends an eventId again, through the same API or another, writes a new
//     record with its own timestamp (and the APIs' value holds its own ts).
//     Two manual sends of identical key and value within one millisecond
//     by one non-idempotent producer cannot be told from a retry.
//
// Observers count by one of two named rules (CopyRule): EveryCopy or
// SameSend.

// Record is a Kafka record as the copy rule reads it.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	Timestamp time.Time
	// ProducerID is -1 for a producer without idempotence.
	ProducerID    int64
	ProducerEpoch int16
}

// Send is the identity of the send a record belongs to: two records are
// copies of one send (a producer retry) exactly when their Sends are
// equal. A Send with only EventID set stands for every send of that
// eventId, as EveryCopy reads it.
type Send struct {
	EventID    string
	ProducerID int64
	Timestamp  int64    // Unix ms, Kafka's precision
	Body       [32]byte // SHA-256 of the key and value
}

// SendOf returns the send r belongs to; see the rule above.
func SendOf(r Record) Send {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(r.Key)))
	h.Write(n[:])
	h.Write(r.Key)
	h.Write(r.Value)
	s := Send{EventID: EventIDOf(r.Headers, r.Value), ProducerID: r.ProducerID, Timestamp: r.Timestamp.UnixMilli()}
	h.Sum(s.Body[:0])
	return s
}

// CopyRule is how an observer counts the copies of a send.
type CopyRule uint8

const (
	// EveryCopy counts every record that carries the send's eventId. It is
	// the rule of observers that mint a fresh eventId for each send
	// (validate, experiment): nobody else writes that eventId, so every
	// extra record is the producer's. The console's duplicates view lists
	// eventIds by it too, and shows how many sends the copies hold.
	EveryCopy CopyRule = iota
	// SameSend counts only the copies of one send (SendOf equal). It is the
	// rule of progress's 02.4, which follows the eventIds a trainee typed:
	// a manual resend of one is a second send, not the duplicate a lost
	// acknowledgement makes.
	SameSend
)

// Key returns what s counts under c: for EveryCopy its eventId alone,
// for SameSend s itself. Two records count as copies of one send under c
// when their keys are equal.
func (c CopyRule) Key(s Send) Send {
	if c == SameSend {
		return s
	}
	return Send{EventID: s.EventID}
}

// Counts reports whether a record whose send is r counts as a copy of s
// under c. Nothing counts for a send without an eventId.
func (c CopyRule) Counts(s, r Send) bool {
	return s.EventID != "" && c.Key(s) == c.Key(r)
}

// Count returns how many of recs count as copies of s under c.
func (c CopyRule) Count(s Send, recs []Send) int { return c.Tally(recs)[c.Key(s)] }

// Tally returns, for every send in recs, how many copies recs hold of it
// under c, keyed by c.Key. Records without an eventId are left out.
func (c CopyRule) Tally(recs []Send) map[Send]int {
	n := map[Send]int{}
	for _, r := range recs {
		if r.EventID != "" {
			n[c.Key(r)]++
		}
	}
	return n
}

// Sends returns how many distinct sends recs hold: 1 when every record is
// a retry of the first.
func Sends(recs []Send) int {
	seen := make(map[Send]bool, len(recs))
	for _, r := range recs {
		seen[r] = true
	}
	return len(seen)
}
