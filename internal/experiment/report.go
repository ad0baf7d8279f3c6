package experiment

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/target"
)

// Report is the outcome of an experiment: one Row per API × mode.
type Report struct {
	Command          string        `json:"command,omitempty"` // that produced the report, if known
	Schedule         string        `json:"schedule"`
	Description      string        `json:"description"`
	Topic            string        `json:"topic"`
	RunID            string        `json:"runId"`
	N                int           `json:"n"`
	Keys             int           `json:"keys"`
	Rate             int           `json:"rate"`
	SendTimeoutMs    int64         `json:"sendTimeoutMs"`
	RequestTimeoutMs int64         `json:"requestTimeoutMs"`
	Started          time.Time     `json:"started"`
	Duration         time.Duration `json:"durationNs"` // from the first send to the last answer
	Rows             []Row         `json:"rows"`
	Unknown          int           `json:"unknownRecords"` // this run's records that match no request
	Events           []Event       `json:"events"`         // the schedule's timeline
	// NoFaults are the APIs left out: no fault reaches them (target.Conn.Faultable).
	NoFaults []target.NoFault `json:"noFaults,omitempty"`
}

// Row is one API × mode.
type Row struct {
	API  string       `json:"api"`
	Mode prodlab.Mode `json:"mode"`
	// Sent counts requests made; each ends acked, failed or indeterminate.
	Sent          int `json:"sent"`
	Acked         int `json:"acked"`
	Failed        int `json:"failed"`
	Indeterminate int `json:"indeterminate"`
	Lost          int `json:"lost"`         // acked requests with no copy in the log
	Duplicated    int `json:"duplicated"`   // requests with more than one copy
	Extra         int `json:"extraRecords"` // copies beyond the first, over every request
	// OrderViolations counts records whose key's sequence number is lower
	// than one before it in the log.
	OrderViolations int `json:"orderViolations"`
	FailedWritten   int `json:"failedWritten"` // failed requests the log holds anyway
	// Copies crosses each outcome with the copies found: 0, 1 or more.
	Copies map[string][3]int `json:"copies"`
	// Errors counts the error messages of failed and indeterminate
	// requests, at most maxErrors distinct ones.
	Errors map[string]int `json:"errors,omitempty"`
	P50Ms  float64        `json:"p50Ms"` // the acked sends' latencies
	P99Ms  float64        `json:"p99Ms"`
}

// Name is the row's label, such as "franz idempotent".
func (r Row) Name() string { return r.API + " " + string(r.Mode) }

// maxErrors bounds the distinct error messages kept per row.
const maxErrors = 10

func summarize(r *row) Row {
	out := Row{API: r.api.Name, Mode: r.mode, OrderViolations: r.violations, Copies: map[string][3]int{}, Errors: map[string]int{}}
	var lat []time.Duration
	for _, k := range r.reqs {
		for _, rq := range k {
			if rq.outcome == "" {
				continue
			}
			out.Sent++
			c := out.Copies[string(rq.outcome)]
			c[min(rq.copies, 2)]++
			out.Copies[string(rq.outcome)] = c
			switch rq.outcome {
			case acked:
				out.Acked++
				lat = append(lat, rq.took)
				if rq.copies == 0 {
					out.Lost++
				}
			case failed:
				out.Failed++
				if rq.copies > 0 {
					out.FailedWritten++
				}
			case indeterminate:
				out.Indeterminate++
			}
			if _, ok := out.Errors[rq.err]; rq.err != "" && (ok || len(out.Errors) < maxErrors) {
				out.Errors[rq.err]++
			}
			if rq.copies > 1 {
				out.Duplicated++
				out.Extra += rq.copies - 1
			}
		}
	}
	slices.Sort(lat)
	out.P50Ms, out.P99Ms = percentile(lat, 0.50), percentile(lat, 0.99)
	return out
}

// percentile returns the q-quantile of sorted in milliseconds (nearest
// rank), 0 if sorted is empty.
func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i].Microseconds()) / 1000
}

// WriteTable writes the report as an aligned table.
func (rep Report) WriteTable(w io.Writer) error {
	fmt.Fprintln(w, i18n.T("exp.table.schedule", "schedule", rep.Schedule, "description", rep.Description))
	fmt.Fprintln(w, i18n.T("exp.table.run", "run", rep.RunID, "n", rep.N, "keys", rep.Keys, "topic", rep.Topic, "took", rep.Duration)+"\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, i18n.T("exp.table.header"))
	for _, r := range rep.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t\n", r.API, r.Mode, r.Sent, r.Acked, r.Failed,
			r.Indeterminate, r.Lost, r.Duplicated, r.Extra, r.OrderViolations, r.P50Ms, r.P99Ms)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rep.Rows {
		for msg, n := range r.Errors {
			fmt.Fprintf(w, "%s: %d × %s\n", r.Name(), n, msg)
		}
	}
	for _, nf := range rep.NoFaults {
		fmt.Fprintln(w, i18n.T("exp.table.noFault", "api", nf.API, "reason", nf.Reason))
	}
	if rep.Unknown > 0 {
		fmt.Fprintln(w, "\n"+i18n.T("exp.table.unknown", "n", rep.Unknown))
	}
	_, err := fmt.Fprintln(w, "\n"+i18n.T("exp.table.legend", "n", len(rep.Events)))
	return err
}

// WriteJSON writes the report as indented JSON.
func (rep Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
