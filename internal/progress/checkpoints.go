// Package progress keeps the trainee's progress through the module: the
// seed's checkpoints 02.0 to 02.6 and its three extra exercises, each
// ticked only by the evidence its text asks for, as the lab observes it
// (the producer APIs' answers, the toxic changes, and what the brokers
// hold, read on the direct path). A command that merely ran ticks nothing.
package progress

import "time"

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
	ID ID `json:"id"`
	// Title is the seed's wording, by language (fr, en).
	Title map[string]string `json:"title"`
	// Evidence says what ticks it, by language.
	Evidence map[string]string `json:"evidence"`
	// Next is the guide's command to try while it is unticked, by language.
	Next map[string]string `json:"next"`
	// Anchor is its section of the guide (GuideURL + "#" + Anchor).
	Anchor string `json:"anchor"`
}

// Langs are the languages of the tables.
var Langs = []string{"fr", "en"}

// Checkpoints is the closed set of checkpoints, in the seed's order.
var Checkpoints = []Checkpoint{
	{ID: Health, Anchor: "-lab-020---démarrage-du-module",
		Title:    map[string]string{"fr": "Les APIs franz-go et librdkafka répondent OK", "en": "The franz-go and librdkafka APIs answer OK"},
		Evidence: map[string]string{"fr": "chaque API a répondu OK à GET /health", "en": "each API answered OK to GET /health"},
		Next:     map[string]string{"fr": "Étape 4 : curl -fsS http://localhost:18080/health, puis :18081", "en": "Step 4: curl -fsS http://localhost:18080/health, then :18081"}},
	{ID: SyncSend, Anchor: "-lab-021---envoi-synchrone-baseline",
		Title:    map[string]string{"fr": "Envoi synchrone retourne partition/offset", "en": "A sync send returns partition/offset"},
		Evidence: map[string]string{"fr": "un envoi sync OK, avec partition et offset, sur chaque API", "en": "a sync send OK, with partition and offset, on each API"},
		Next:     map[string]string{"fr": `Étapes 5-6 : curl -fsS -X POST "http://localhost:18080/api/v1/send?mode=plain&sendMode=sync&eventId=E1", puis :18081`, "en": `Steps 5-6: curl -fsS -X POST "http://localhost:18080/api/v1/send?mode=plain&sendMode=sync&eventId=E1", then :18081`}},
	{ID: AsyncStatus, Anchor: "-lab-022---envoi-asynchrone-et-callbacks",
		Title:    map[string]string{"fr": "Envoi asynchrone + récupération du statut", "en": "Async send + status retrieval"},
		Evidence: map[string]string{"fr": "un envoi async accepté, puis son statut lu hors de PENDING", "en": "an async send accepted, then its status read past PENDING"},
		Next:     map[string]string{"fr": "Étapes 8-9 : envoi sendMode=async, puis attendre_statut sur /api/v1/status?requestId=…", "en": "Steps 8-9: a sendMode=async send, then attendre_statut on /api/v1/status?requestId=…"}},
	{ID: Latency, Anchor: "-lab-023---injection-de-pannes-avec-toxiproxy",
		Title:    map[string]string{"fr": "Injection de latence via Toxiproxy", "en": "Latency injected through Toxiproxy"},
		Evidence: map[string]string{"fr": "un toxic latency sur le proxy kafka, un envoi sync ralenti d'au moins 80 % de cette latence, puis le toxic retiré", "en": "a latency toxic on proxy kafka, a sync send slowed by at least 80% of its latency, then the toxic removed"},
		Next:     map[string]string{"fr": "Étapes 11-13 : toxic latency 500 ms sur kafka, un envoi sync, puis DELETE du toxic", "en": "Steps 11-13: a 500 ms latency toxic on kafka, a sync send, then DELETE the toxic"}},
	{ID: Validate, Anchor: "-lab-024---idempotence-vs-plain-test-clé",
		Title:    map[string]string{"fr": "Script validate.sh retourne OK", "en": "validate.sh returns OK"},
		Evidence: map[string]string{"fr": "sur chaque API, un envoi sync dont l'ACK s'est perdu (toxic latency au-delà du request timeout) : plain écrit ≥ 2 copies identiques, idempotent exactement 1, comptées par le lab", "en": "on each API, a sync send whose ack was lost (latency toxic beyond the request timeout): plain wrote ≥ 2 identical copies, idempotent exactly 1, counted by the lab"},
		Next:     map[string]string{"fr": "Étape 14 : scripts/validate.sh (ou l'onglet Lab 02.4 de la console)", "en": "Step 14: scripts/validate.sh (or the console's Lab 02.4 tab)"}},
	{ID: Partitions, Anchor: "-lab-025---partitionnement",
		Title:    map[string]string{"fr": "Messages sur différentes partitions", "en": "Messages on different partitions"},
		Evidence: map[string]string{"fr": "des envois à partition explicite sur au moins 2 partitions d'un topic, et une même clé sur la même partition par les deux APIs", "en": "sends with an explicit partition on at least 2 partitions of a topic, and one key on the same partition through both APIs"},
		Next:     map[string]string{"fr": "Étapes 15-16a : partition=0, 1, 2 puis key=customer-42 sur :18080 et :18081", "en": "Steps 15-16a: partition=0, 1, 2, then key=customer-42 on :18080 and :18081"}},
	{ID: Compaction, Anchor: "-lab-026---log-compaction",
		Title:    map[string]string{"fr": "Compréhension de la log compaction", "en": "Log compaction understood"},
		Evidence: map[string]string{"fr": "trois versions d'une clé envoyées dans un topic cleanup.policy=compact, puis le log ne garde que la dernière", "en": "three versions of one key sent to a cleanup.policy=compact topic, then the log keeps only the last"},
		Next:     map[string]string{"fr": "Étapes 17-18a : topic compacté, V1 V2 V3 pour customer-42, puis prodlab compaction-check", "en": "Steps 17-18a: a compacted topic, V1 V2 V3 for customer-42, then prodlab compaction-check"}},
	{ID: ExTimeouts, Anchor: "exercices-supplémentaires",
		Title:    map[string]string{"fr": "Exercice 1 : modifiez les timeouts", "en": "Exercise 1: change the timeouts"},
		Evidence: map[string]string{"fr": "les APIs lancées avec des timeouts autres que ceux du lab, et un envoi OK sous ces timeouts", "en": "the APIs started with timeouts other than the lab's, and a send OK under them"},
		Next:     map[string]string{"fr": "Exercice 1 : KAFKA_REQUEST_TIMEOUT_MS=3000 go run ./cmd/prodlab up, puis un envoi", "en": "Exercise 1: KAFKA_REQUEST_TIMEOUT_MS=3000 go run ./cmd/prodlab up, then a send"}},
	{ID: ExTimeout, Anchor: "exercices-supplémentaires",
		Title:    map[string]string{"fr": "Exercice 2 : injectez un timeout complet", "en": "Exercise 2: inject a full timeout"},
		Evidence: map[string]string{"fr": "un envoi parti sous un toxic timeout a fini en erreur (502 ou 504)", "en": "a send started under a timeout toxic ended in an error (502 or 504)"},
		Next:     map[string]string{"fr": "Exercice 2 : toxic timeout sur kafka, puis un envoi sync par API", "en": "Exercise 2: a timeout toxic on kafka, then a sync send per API"}},
	{ID: ExKeys, Anchor: "exercices-supplémentaires",
		Title:    map[string]string{"fr": "Exercice 3 : testez différentes clés", "en": "Exercise 3: try different keys"},
		Evidence: map[string]string{"fr": "des clés choisies (key ≠ eventId), sans partition explicite, réparties sur au moins 3 partitions d'un topic", "en": "chosen keys (key ≠ eventId), with no explicit partition, spread over at least 3 partitions of a topic"},
		Next:     map[string]string{"fr": "Exercice 4 du guide : key=customer-1 … customer-9 sur bhf-transactions", "en": "The guide's exercise 4: key=customer-1 … customer-9 on bhf-transactions"}},
}

// Tick is how a checkpoint was seen.
type Tick struct {
	At  time.Time `json:"at"`
	How string    `json:"how"`
}

// Row is one checkpoint with its state.
type Row struct {
	Checkpoint
	// Tick is nil while the checkpoint waits for its evidence.
	Tick *Tick `json:"tick"`
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

func known(id ID) bool {
	for _, c := range Checkpoints {
		if c.ID == id {
			return true
		}
	}
	return false
}
