package validate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/target"
)

// Report is the outcome of a validate run.
type Report struct {
	Topic    string           `json:"topic"`
	Runs     []Result         `json:"runs"`
	NoFaults []target.NoFault `json:"noFaults,omitempty"` // APIs no fault reaches (target.Conn.Faultable)
}

// Result is one lost-acknowledgement window: one API, one mode.
type Result struct {
	API     string        `json:"api"`
	Mode    prodlab.Mode  `json:"mode"`
	EventID string        `json:"eventId"`
	Copies  []Copy        `json:"copies"`           // the records of EventID in the log
	Status  int           `json:"status"`           // the API's HTTP status; 0 if it never answered
	Answer  string        `json:"answer,omitempty"` // the API's body
	Window  time.Duration `json:"windowNs"`         // how long the toxic stayed on the proxies
	Took    time.Duration `json:"tookNs"`           // the send's duration, as the client saw it
	Err     string        `json:"error,omitempty"`  // why this window proves nothing, if it does not
}

// Copy is one record of an eventId in the log.
type Copy struct {
	Partition     int32     `json:"partition"`
	Offset        int64     `json:"offset"`
	ProducerID    int64     `json:"producerId,string"` // a string: JavaScript numbers lose its digits
	ProducerEpoch int16     `json:"producerEpoch"`
	Timestamp     time.Time `json:"timestamp"`
}

// Name is the result's name in the summary line, such as franz_plain.
func (r Result) Name() string { return r.API + "_" + string(r.Mode) }

// check returns why r does not hold the lab's claim, or nil.
func (r Result) check() error {
	n := len(r.Copies)
	switch {
	case r.Err != "":
		return errors.New(r.Err)
	case r.Status != 200:
		return i18n.Errorf("validate.fail.status", "name", r.Name(), "status", r.Status, "answer", r.Answer)
	case r.Mode == prodlab.Idempotent && n != 1:
		return i18n.Errorf("validate.fail.idempotent", "name", r.Name(), "n", n, "id", r.EventID)
	case r.Mode == prodlab.Plain && n < 2:
		return i18n.Errorf("validate.fail.plain", "name", r.Name(), "n", n, "id", r.EventID)
	}
	return nil
}

// Err returns nil if every window held the lab's claim, else which did
// not, and why.
func (rep Report) Err() error {
	var errs []error
	for _, r := range rep.Runs {
		errs = append(errs, r.check()) // Join drops the nils
	}
	return errors.Join(errs...)
}

// Summary is the seed's line: "OK: franz_idempotent=1 franz_plain=2", or
// "FAIL: ..." ("ÉCHEC : ..." in French) if a window did not hold the
// claim.
func (rep Report) Summary() string {
	s := "OK:"
	if rep.Err() != nil {
		s = i18n.T("validate.summary.fail")
	}
	for _, r := range rep.Runs {
		s += fmt.Sprintf(" %s=%d", r.Name(), len(r.Copies))
	}
	return s
}

// MarshalJSON writes the report's fields and its Summary, as "summary".
func (rep Report) MarshalJSON() ([]byte, error) {
	type fields Report // without this method
	return json.Marshal(struct {
		Summary string `json:"summary"`
		fields
	}{rep.Summary(), fields(rep)})
}

// WriteText writes the summary line, then the copies of every duplicate
// and the producer id and epoch of every idempotent record.
func (rep Report) WriteText(w io.Writer) error {
	var b strings.Builder
	b.WriteString(rep.Summary() + "\n")
	for _, nf := range rep.NoFaults {
		b.WriteString("  " + i18n.T("validate.cli.noFault", "api", nf.API, "reason", nf.Reason) + "\n")
	}
	for _, r := range rep.Runs {
		switch {
		case len(r.Copies) > 1:
			b.WriteString("  " + i18n.T("validate.cli.copies", "name", r.Name(), "n", len(r.Copies), "id", r.EventID,
				"topic", rep.Topic, "took", r.Took, "window", r.Window) + "\n")
			for _, c := range r.Copies {
				b.WriteString("    " + i18n.T("validate.copy", "p", c.Partition, "o", c.Offset))
				if c.ProducerID >= 0 {
					b.WriteString(i18n.T("validate.producer", "pid", c.ProducerID, "epoch", c.ProducerEpoch))
				}
				b.WriteString("\n")
			}
		case r.Mode == prodlab.Idempotent && len(r.Copies) == 1:
			c := r.Copies[0]
			b.WriteString("  " + i18n.T("validate.cli.one", "name", r.Name(), "id", r.EventID, "p", c.Partition, "o", c.Offset,
				"pid", c.ProducerID, "epoch", c.ProducerEpoch, "took", r.Took, "window", r.Window) + "\n")
		}
	}
	if err := rep.Err(); err != nil {
		b.WriteString(i18n.T("validate.failed") + "\n")
		b.WriteString("  " + strings.ReplaceAll(err.Error(), "\n", "\n  ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Copies returns the records of recs that are copies of eventID's send by
// prodlab.EveryCopy: validate mints a fresh eventId for each window.
func Copies(eventID string, recs []*kgo.Record) []Copy {
	send := prodlab.Send{EventID: eventID}
	var out []Copy
	for _, r := range recs {
		if prodlab.EveryCopy.Counts(send, prodlab.Send{EventID: direct.EventID(r)}) {
			out = append(out, Copy{Partition: r.Partition, Offset: r.Offset,
				ProducerID: r.ProducerID, ProducerEpoch: r.ProducerEpoch, Timestamp: r.Timestamp})
		}
	}
	return out
}

// countCopies returns a direct.Reader.Poll callback that adds to *n the
// records Copies counts for eventID.
func countCopies(eventID string, n *int) func(*kgo.Record) error {
	return func(r *kgo.Record) error {
		*n += len(Copies(eventID, []*kgo.Record{r}))
		return nil
	}
}
