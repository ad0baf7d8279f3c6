package progress

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/i18n"
)

const (
	scan       = 1000        // offsets read each side of an acked record: retries land near it
	lostAckAge = time.Minute // how long a copy count waits for its record to be readable
)

// validate ticks 02.4 once the lab counted, for every engine, a plain
// send whose lost acknowledgement left copies and an idempotent one that
// left none.
type validate struct{}

// lostAck is a sync send whose first acknowledgement was lost.
type lostAck struct {
	engine    string
	mode      prodlab.Mode
	topic     string
	eventID   string
	partition int32
	offset    int64
	seen      time.Time
}

// observe queues for a copy count a sync send that started under a
// latency toxic longer than the request timeout and took longer: its
// first acknowledgement was lost.
func (validate) observe(r *Recorder, a answer) {
	rt := r.cfg.requestTimeout
	if a.Kind != api.Sent || a.landed == nil || a.SendMode != prodlab.Sync || a.Elapsed <= rt {
		return
	}
	if r.toxicAt(a.start, "", "latency", func(t *toxic) bool { return t.latency > rt }) == nil {
		return
	}
	if len(r.lostAcks) >= maxLostAcks {
		r.lostAcks = r.lostAcks[1:]
	}
	r.lostAcks = append(r.lostAcks, lostAck{engine: a.Engine, mode: a.Mode, topic: a.Topic, eventID: a.EventID,
		partition: a.landed.Partition, offset: a.landed.Offset, seen: time.Now()})
}

// verify counts the copies of the queued sends.
func (validate) verify(ctx context.Context, r *Recorder) error {
	r.mu.Lock()
	sends := slices.Clone(r.lostAcks)
	r.mu.Unlock()
	var errs []error
	for _, s := range sends {
		held, done, err := s.count(ctx, r)
		errs = append(errs, err)
		r.mu.Lock()
		if done || time.Since(s.seen) > lostAckAge {
			r.lostAcks = slices.DeleteFunc(r.lostAcks, func(x lostAck) bool { return x == s })
		}
		if held != "" {
			r.heldCounts[s.engine+"/"+string(s.mode)] = held
			validated(r)
		}
		r.mu.Unlock()
	}
	return errors.Join(errs...)
}

// validated ticks 02.4 once every engine held in both modes; r.mu is held.
func validated(r *Recorder) {
	var parts []string
	for _, e := range r.cfg.engines {
		for _, m := range []prodlab.Mode{prodlab.Idempotent, prodlab.Plain} {
			held := r.heldCounts[e+"/"+string(m)]
			if held == "" {
				return
			}
			parts = append(parts, held)
		}
	}
	r.tick(Validate, i18n.M("ev.validate", "counts", strings.Join(parts, " ")))
}

// count reads the records around s and returns how the demonstration
// held ("franz_plain=2"), or "" when it did not; done is false while the
// record is not readable yet.
func (s lostAck) count(ctx context.Context, r *Recorder) (held string, done bool, err error) {
	ends, err := direct.EndOffsets(ctx, r.adm, s.topic)
	if err != nil {
		return "", false, err
	}
	end := ends[s.partition]
	if end <= s.offset {
		return "", false, nil
	}
	// A plain send held when its lost ack made retries (SameSend: a manual
	// resend is no duplicate), an idempotent one when no other record holds
	// its eventId (EveryCopy).
	var sends []prodlab.Send
	acked := -1
	err = r.read(ctx, s.topic, s.partition, max(0, s.offset-scan), min(end, s.offset+scan+1), func(rec *kgo.Record) error {
		send := direct.SendOf(rec)
		if rec.Offset == s.offset && send.EventID == s.eventID {
			acked = len(sends)
		}
		sends = append(sends, send)
		return nil
	})
	if err != nil {
		return "", false, err
	}
	if acked < 0 {
		return "", true, nil
	}
	name := s.engine + "_" + string(s.mode)
	switch {
	case s.mode == prodlab.Plain:
		if same := prodlab.SameSend.Count(sends[acked], sends); same >= 2 {
			return fmt.Sprintf("%s=%d", name, same), true, nil
		}
	case s.mode == prodlab.Idempotent && prodlab.EveryCopy.Count(sends[acked], sends) == 1:
		return name + "=1", true, nil
	}
	return "", true, nil
}
