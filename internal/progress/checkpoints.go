// Package progress keeps the trainee's progress through the seed's
// checkpoints 02.0 to 02.6 and its three exercises, each ticked only by
// the evidence it asks for, as the lab observes it (the APIs' answers, the
// toxic changes, the brokers' logs). A command that merely ran ticks nothing.
package progress

import (
	"context"
	"time"

	"github.com/prodlab/prodlab/internal/i18n"
)

// ID names a checkpoint.
type ID string

// The checkpoints, in the seed's order.
const (
	Health      ID = "02.0"
	SyncSend    ID = "02.1"
	AsyncStatus ID = "02.2"
	Latency     ID = "02.3"
	Validate    ID = "02.4"
	Partitions  ID = "02.5"
	Compaction  ID = "02.6"
	ExTimeouts  ID = "ex1"
	ExTimeout   ID = "ex2"
	ExKeys      ID = "ex3"
)

// GuideURL is the lab guide each checkpoint links to.
const GuideURL = "https://github.com/prodlab/prodlab/blob/main/docs/lab/module-02-producer-reliability.md"

// Checkpoint is one row of the seed's recap table.
type Checkpoint struct {
	ID       ID                `json:"id"`
	Title    map[string]string `json:"title"`    // the seed's wording, by language (fr, en)
	Evidence map[string]string `json:"evidence"` // what ticks it, by language
	Next     map[string]string `json:"next"`     // the guide's command to try while unticked
	Anchor   string            `json:"anchor"`   // its section of the guide (GuideURL#Anchor)

	rule rule
}

// Checkpoints are the checkpoints in the seed's order, their words the
// catalogue's cp.<id>.title, .evidence and .next, each rule in its file.
var Checkpoints = []Checkpoint{
	checkpoint(Health, "-lab-020---démarrage-du-module", health{}),
	checkpoint(SyncSend, "-lab-021---envoi-synchrone-baseline", syncSend{}),
	checkpoint(AsyncStatus, "-lab-022---envoi-asynchrone-et-callbacks", asyncStatus{}),
	checkpoint(Latency, "-lab-023---injection-de-pannes-avec-toxiproxy", latency{}),
	checkpoint(Validate, "-lab-024---idempotence-vs-plain-test-clé", validate{}),
	checkpoint(Partitions, "-lab-025---partitionnement", partitions{}),
	checkpoint(Compaction, "-lab-026---log-compaction", compaction{}),
	checkpoint(ExTimeouts, "exercice-1---modifiez-les-timeouts", exTimeouts{}),
	checkpoint(ExTimeout, "exercice-2---injectez-un-timeout-complet", exTimeout{}),
	checkpoint(ExKeys, "exercice-3---testez-avec-différentes-clés", exKeys{}),
}

// checkpoint fills id's words from the catalogue.
func checkpoint(id ID, anchor string, ru rule) Checkpoint {
	words := func(field string) map[string]string {
		m := map[string]string{}
		for _, l := range i18n.Langs {
			m[string(l)] = i18n.Text(l, "cp."+string(id)+"."+field)
		}
		return m
	}
	return Checkpoint{ID: id, Anchor: anchor, Title: words("title"), Evidence: words("evidence"), Next: words("next"), rule: ru}
}

// rule ticks a checkpoint from an API's answer, r.mu held; it may also be
// a toxicRule or a verifier.
type rule interface {
	observe(r *Recorder, a answer)
}

type toxicRule interface {
	removed(r *Recorder, t *toxic)
}

// verifier reads the brokers on the direct path, r.mu not held.
type verifier interface {
	verify(ctx context.Context, r *Recorder) error
}

// Tick is how a checkpoint was seen.
type Tick struct {
	At  time.Time `json:"at"`
	How string    `json:"how"`           // the evidence in English, as older versions stored it
	Msg *i18n.Msg `json:"msg,omitempty"` // the evidence as a catalogue message; nil from older versions
}

// Text is the evidence in l: Msg rendered, else How.
func (t Tick) Text(l i18n.Lang) string {
	if t.Msg != nil && i18n.Has(t.Msg.ID) {
		return t.Msg.In(l)
	}
	return t.How
}

// Row is one checkpoint with its state.
type Row struct {
	Checkpoint
	Tick *Tick `json:"tick"` // nil while the checkpoint waits for its evidence
}

// Report is the whole table.
type Report struct {
	Guide string `json:"guide"`
	Rows  []Row  `json:"checkpoints"`
}

// Done counts the ticked rows.
func (r Report) Done() int {
	n := 0
	for _, row := range r.Rows {
		if row.Tick != nil {
			n++
		}
	}
	return n
}
