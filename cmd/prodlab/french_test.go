package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/experiment"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/progress"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/validate"
)

// runIn runs the built prodlab with args under the locale lang (LANG set,
// LC_ALL and LC_MESSAGES unset, as a trainee's shell has them) and
// returns its stdout and stderr together.
func runIn(t *testing.T, lang string, args ...string) string {
	t.Helper()
	cmd := exec.Command(prodlabBin(t), args...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LANG=") && !strings.HasPrefix(kv, "LC_ALL=") && !strings.HasPrefix(kv, "LC_MESSAGES=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "LANG="+lang)
	cmd.Dir = t.TempDir()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("prodlab %q did not exit within 60 s:\n%s", args, out.String())
	}
	return out.String()
}

// closedAddr is a loopback host:port nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestCommandsSpeakTheLocale: every command's main messages, run as a
// trainee runs them, are French under LANG=fr_FR.UTF-8 and English under
// LANG=C; --lang overrides the locale.
func TestCommandsSpeakTheLocale(t *testing.T) {
	closed := closedAddr(t)
	dir, ticked := t.TempDir(), t.TempDir()
	if err := progress.Reset(filepath.Join(ticked, progress.FileName)); err != nil {
		t.Fatal(err)
	}
	// A web server that is not a console: its 404 page is not the answer.
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<!DOCTYPE HTML>\n<html>\n<p>File not found.</p>\n</html>\n")
	}))
	defer page.Close()
	// A local Kafka brought up once, single-node, its broker 1 stopped;
	// and a cluster none of whose brokers started.
	kdir, cdir := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(kdir, "run", "single-node", "broker-1"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(cdir, "run"), 0o755)
	for name, text := range map[string]string{kdir + "/run/current": "single-node", kdir + "/run/single-node/broker-1/server.properties": "", cdir + "/run/current": "cluster"} {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		args   []string
		fr, en string
	}{
		{"no command", nil, "aucune commande donnée", "no command given"},
		{"usage", []string{"help"}, "lancer tout le lab : Kafka, Toxiproxy", "run the whole lab: Kafka, Toxiproxy"},
		{"up flag error", []string{"up", "--bogus"}, "prodlab : option inconnue : -bogus (lancez 'prodlab up -h'", "prodlab: flag provided but not defined: -bogus (run 'prodlab up -h'"},
		{"up bad value", []string{"up", "--brokers", "x"}, `valeur "x" invalide pour l'option -brokers : ce n'est pas un nombre`, `invalid value "x" for flag -brokers: parse error`},
		{"up needs kafka", []string{"up", "--faults", "dialer"}, "--upstreams et --faults demandent --kafka", "--upstreams and --faults need --kafka"},
		{"up, bad client setting", []string{"up", "--kafka", closed, "-X", "foo=bar"}, "réglage client foo : clé inconnue (prodlab accepte", "client setting foo: unknown key (prodlab takes"},
		{"topic, SASL key without SASL", []string{"topic", "list", "--bootstrap", closed, "-X", "sasl.username=bob"}, "réglage client sasl.username : est donné mais security.protocol=PLAINTEXT n'utilise pas SASL", "client setting sasl.username: is set but security.protocol=PLAINTEXT does not use SASL"},
		{"topic, bad JAAS entry", []string{"topic", "list", "--bootstrap", closed, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=PLAIN", "-X", "sasl.jaas.config=x required;"}, "réglage client sasl.jaas.config : le mot 1, le module de connexion, n'est pas pris en charge", "client setting sasl.jaas.config: word 1, the login module, is not supported"},
		{"validate, --api twice", []string{"validate", "--api", "a=http://" + closed, "--api", "a=http://" + closed}, "APIs (--api) : l'API a est donnée deux fois", "APIs (--api): API a is given twice"},
		{"up, bad timeout", []string{"up", "--request-timeout-ms", "abc"}, `KAFKA_REQUEST_TIMEOUT_MS : "abc" n'est pas un nombre entier de millisecondes`, `KAFKA_REQUEST_TIMEOUT_MS: "abc" is not a whole number of milliseconds`},
		{"down", []string{"down", "--data-dir", dir}, "Aucun lab ne tourne sur le data dir " + dir + " : rien à arrêter.", "No lab is running on data dir " + dir + ": nothing to stop."},
		{"validate, lab not running", []string{"validate", "--toxiproxy", "http://" + closed}, "Toxiproxy ne répond pas sur http://" + closed + " : le lab tourne-t-il ? Lancez-le avec prodlab up", "Toxiproxy does not answer at http://" + closed + ": is the lab running? Start it with prodlab up"},
		{"validate, bad --api", []string{"validate", "--api", "franz"}, `--api "franz" : écrivez nom=url`, `--api "franz": use name=url`},
		{"experiment, lab not running", []string{"experiment", "--toxiproxy", "http://" + closed, "-n", "1"}, "Toxiproxy ne répond pas sur", "Toxiproxy does not answer at"},
		{"experiment, bad schedule", []string{"experiment", "--schedule", "nope"}, "scénario inconnu", "unknown schedule"},
		{"consume, no topic", []string{"consume"}, "consume : --topic est obligatoire", "consume: --topic is required"},
		{"consume, lab not running", []string{"consume", "--topic", "t", "--bootstrap", closed, "--connect-timeout", "1s"}, "aucun broker ne répond sur " + closed, "no broker reachable at " + closed},
		{"topic, no action", []string{"topic"}, "topic : aucune action donnée : create, list, describe ou delete", "topic: no action given: create, list, describe or delete"},
		{"topic, lab not running", []string{"topic", "list", "--bootstrap", closed, "--timeout", "1s"}, "le lab tourne-t-il ? Lancez-le avec prodlab up", "is the lab running? Start it with prodlab up"},
		{"compaction-check, no key", []string{"compaction-check", "--topic", "t"}, "compaction-check : --key est obligatoire", "compaction-check: --key is required"},
		{"compaction-check, lab not running", []string{"compaction-check", "--topic", "t", "--key", "k", "--expect", "V3", "--bootstrap", closed, "--timeout", "1s"}, "aucun broker ne répond sur " + closed, "no broker reachable at " + closed},
		{"progress", []string{"progress", "--console", "http://" + closed, "--data-dir", dir}, "| 02.1 | Envoi synchrone retourne partition/offset | ⬜ à faire — Étapes 5-6", "| 02.1 | A sync send returns partition/offset | ⬜ to do — Steps 5-6"},
		{"progress, no lab", []string{"progress", "--console", "http://" + closed, "--data-dir", ticked}, "Aucun lab ne répond sur http://" + closed + " : progression lue dans " + ticked, "No lab answers on http://" + closed + ": progress read from " + ticked},
		{"progress, no lab, no file", []string{"progress", "--console", "http://" + closed, "--data-dir", dir}, "Aucun lab ne répond sur http://" + closed + " et " + dir + "/progress.json n'existe pas : rien n'est coché", "No lab answers on http://" + closed + " and " + dir + "/progress.json does not exist: nothing is ticked"},
		{"kafka, bad mode", []string{"kafka", "up", "ring", "--dir", dir}, `kafka : mode inconnu "ring" : single-node ou cluster`, `kafka: unknown mode "ring": single-node or cluster`},
		{"kafka status, none running", []string{"kafka", "status", "--dir", dir}, "Kafka local : arrêté (aucun broker ne tourne)", "local Kafka: down (no broker running)"},
		{"up, extra argument", []string{"up", "extra"}, `up : argument inattendu "extra"`, `up: unexpected argument "extra"`},
		{"api, extra argument", []string{"api", "extra"}, `api : argument inattendu "extra"`, `api: unexpected argument "extra"`},
		{"bench, extra argument", []string{"bench", "extra"}, `bench : argument inattendu "extra"`, `bench: unexpected argument "extra"`},
		{"up, bad broker count", []string{"up", "--brokers", "2", "--console-port", "-7"}, "--brokers 2 : choisissez 1 ou 3", "--brokers 2: use 1 or 3"},
		{"up, bad console port", []string{"up", "--console-port", "-7"}, "--console-port -7 : choisissez un port de 0 à 65535, ou -1", "--console-port -7: use a port from 0 to 65535, or -1"},
		{"up, bad frame cap", []string{"up", "--max-frame-bytes", "5"}, "--max-frame-bytes 5 : choisissez de 1 Mio", "--max-frame-bytes 5: use 1 MiB"},
		{"up, bad status TTL", []string{"up", "--status-ttl", "-1s"}, "TTL (--status-ttl) -1s : la durée doit être positive", "TTL (--status-ttl) -1s: the duration must be positive"},
		{"api, bad engine", []string{"api", "--engine", "x"}, `moteur "x" inconnu : franz`, `unknown engine "x": franz`},
		{"api, bad status max", []string{"api", "--status-max", "0"}, "MaxEntries (--status-max) 0 : choisissez de 1 à 1073741824", "MaxEntries (--status-max) 0: use 1 to 1073741824"},
		{"consume, bad --print", []string{"consume", "--topic", "t", "--print", "size"}, `champ --print "size" inconnu`, `unknown --print field "size"`},
		{"validate, bad API URL", []string{"validate", "--api", "franz=ftp://x"}, `APIs (--api) : API franz : "ftp://x" n'est pas une URL http://`, `APIs (--api): API franz: "ftp://x" is not an http:// URL`},
		{"topic, empty bootstrap", []string{"topic", "list", "--bootstrap", ""}, "aucun broker d'amorçage donné (--bootstrap)", "no bootstrap broker given (--bootstrap)"},
		{"bad --lang", []string{"up", "--lang", "de"}, "--lang de : choisissez fr ou en", "--lang de: use fr or en"},
		{"experiment, bad rate", []string{"experiment", "--rate", "-1"}, "Rate (--rate) -1 est hors de 0..100000 par seconde", "Rate (--rate) -1 is outside 0..100000 per second"},
		{"validate, bad request timeout", []string{"validate", "--request-timeout-ms", "5"}, "Timings (--request-timeout-ms, KAFKA_REQUEST_TIMEOUT_MS) : request timeout 5ms hors de 10ms..5m", "Timings (--request-timeout-ms, KAFKA_REQUEST_TIMEOUT_MS): request timeout 5ms is outside 10ms..5m"},
		{"up, external Kafka down", []string{"up", "--kafka", closed, "--franz-port", "0", "--librdkafka-port", "0", "--console-port", "-1", "--toxiproxy-port", "0", "--proxy-port", "0"}, "le Kafka externe " + closed + " ne répond pas (connexion refusée) : tourne-t-il ? scripts/kafka-local.sh up", "external Kafka " + closed + " does not answer (connection refused): is it running? scripts/kafka-local.sh up"},
		{"kafka start, none brought up", []string{"kafka", "start", "1", "--dir", dir}, "aucun Kafka local n'a été démarré (prodlab kafka up)", "no local Kafka was brought up (prodlab kafka up)"},
		{"api, pprof not on loopback", []string{"api", "--pprof", "0.0.0.0:6060"}, `--pprof "0.0.0.0:6060" : l'hôte doit être une adresse de loopback`, `--pprof "0.0.0.0:6060": the host must be a loopback address`},
		{"api, pprof without port", []string{"api", "--pprof", "x"}, `--pprof "x" : écrivez hôte:port, par exemple 127.0.0.1:6060`, `--pprof "x": use host:port, such as 127.0.0.1:6060`},
		{"consume, bad --bootstrap", []string{"consume", "--topic", "t", "--bootstrap", "x"}, `prodlab : Bootstrap (--bootstrap) : "x" n'est pas de la forme hôte:port`, `prodlab: Bootstrap (--bootstrap): "x" is not host:port`},
		{"topic, no --command-config file", []string{"topic", "list", "--command-config", dir + "/none.properties"}, "prodlab : fichier de réglages client " + dir + "/none.properties introuvable", "prodlab: client settings file " + dir + "/none.properties not found"},
		{"up, --kafka not host:port", []string{"up", "--kafka", "x"}, `prodlab : "x" : attendu hôte:port, avec un port de 1 à 65535`, `prodlab: "x": want host:port with a port from 1 to 65535`},
		{"kafka kill, no such broker", []string{"kafka", "kill", "5", "--dir", kdir}, "le broker 5 n'existe pas en mode single-node (1..1)", "broker 5 does not exist in single-node mode (1..1)"},
		{"kafka kill, broker stopped", []string{"kafka", "kill", "1", "--dir", kdir}, "le broker 1 (single-node) ne tourne pas (prodlab kafka start 1)", "single-node broker 1 is not running (prodlab kafka start 1)"},
		{"kafka start, never started", []string{"kafka", "start", "2", "--dir", cdir}, "le broker 2 (cluster) n'a jamais été démarré (prodlab kafka up)", "cluster broker 2 was never started (prodlab kafka up)"},
		{"progress, not a console", []string{"progress", "--console", page.URL, "--data-dir", dir}, "prodlab : progress : la console sur " + page.URL + " a répondu autre chose que les checkpoints (HTTP 404) : est-ce bien une console prodlab ?\n", "prodlab: progress: the console at " + page.URL + " answered something else than the checkpoints (HTTP 404): is it a prodlab console?\n"},
		{"validate, not Toxiproxy", []string{"validate", "--toxiproxy", page.URL, "--api", "franz=http://" + closed}, "prodlab : " + page.URL + " n'a pas répondu à GET /proxies comme Toxiproxy (HTTP 404) : est-ce bien son API (--toxiproxy) ?\n", "prodlab: " + page.URL + " did not answer GET /proxies as Toxiproxy does (HTTP 404): is it its API (--toxiproxy)?\n"},
		{"version, extra argument", []string{"version", "extra"}, `version : argument inattendu "extra"`, `version: unexpected argument "extra"`},
		{"version -h", []string{"version", "-h"}, "afficher la version, la révision", "print the build's version, revision"},
		{"bench, unknown engine", []string{"bench", "--engines", "nope", "--procs"}, `moteur "nope" inconnu : franz`, `unknown engine "nope": franz`},
		{"bench, unknown engine in-process", []string{"bench", "--engines", "nope"}, `moteur "nope" inconnu : franz`, `unknown engine "nope": franz`},
		{"bench, bad mode", []string{"bench", "--mode", "x"}, `le mode "x" n'est pas permis : plain ou idempotent`, `mode "x" is not allowed: plain or idempotent`},
		{"bench, bad concurrency", []string{"bench", "--concurrency", "1,a"}, `--concurrency : "a" n'est pas un nombre entier`, `--concurrency: "a" is not a whole number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if out := runIn(t, "fr_FR.UTF-8", tc.args...); !strings.Contains(out, tc.fr) {
				t.Errorf("LANG=fr_FR.UTF-8 prodlab %q: no %q in\n%s", tc.args, tc.fr, out)
			}
			if out := runIn(t, "C", tc.args...); !strings.Contains(out, tc.en) {
				t.Errorf("LANG=C prodlab %q: no %q in\n%s", tc.args, tc.en, out)
			}
		})
	}
	// --lang wins over the locale, both ways.
	if out := runIn(t, "C", "down", "--lang", "fr", "--data-dir", dir); !strings.Contains(out, "rien à arrêter") {
		t.Errorf("--lang fr under LANG=C:\n%s", out)
	}
	if out := runIn(t, "fr_FR.UTF-8", "--lang=en", "down", "--data-dir", dir); !strings.Contains(out, "nothing to stop") {
		t.Errorf("--lang=en under LANG=fr_FR.UTF-8:\n%s", out)
	}
}

// TestBannerSpeaksTheLanguage: the banner of 'prodlab up', in French and
// in English.
func TestBannerSpeaksTheLanguage(t *testing.T) {
	l := labtest.Start(t, func(c *lab.Config) { c.ConsolePort = 0 })
	for _, tc := range []struct {
		lang i18n.Lang
		want []string
	}{
		{i18n.FR, []string{"prodlab est démarré : le lab de fiabilité du producteur Kafka\n", map[bool]string{true: "  Kafka (intégré, direct)", false: "  Kafka (externe, direct)"}[l.Cluster() != nil], "  Pannes ", "  API Toxiproxy ", "  Console web ", "  API producteur (franz) ", "Ctrl-C pour arrêter ; les envois en attente sont d'abord vidés.\n"}},
		{i18n.EN, []string{"prodlab is up: the Kafka producer-reliability lab\n", map[bool]string{true: "  Kafka (embedded, direct)", false: "  Kafka (external, direct)"}[l.Cluster() != nil], "  Faults ", "  Toxiproxy API ", "  Web console ", "  Producer API (franz) ", "Press Ctrl-C to stop; pending sends are flushed first.\n"}},
	} {
		inLang(t, tc.lang)
		var b strings.Builder
		printBanner(&b, l)
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s banner lacks %q:\n%s", tc.lang, w, b.String())
			}
		}
		// The values line up in one column.
		col := -1
		for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n")[1:] {
			if !strings.HasPrefix(line, "  ") {
				continue
			}
			i := strings.Index(line, " http")
			if i < 0 {
				continue
			}
			if n := len([]rune(line[:i])); col < 0 {
				col = n
			} else if n != col && !strings.Contains(line, "->") {
				t.Errorf("%s banner: %q does not line up at column %d", tc.lang, line, col)
			}
		}
	}
}

// TestReportsSpeakTheLanguage: validate's and experiment's reports.
func TestReportsSpeakTheLanguage(t *testing.T) {
	vrep := validate.Report{Topic: "bhf-transactions", NoFaults: []target.NoFault{{API: "librdkafka", Reason: "x"}}, Runs: []validate.Result{
		{API: "franz", Mode: prodlab.Plain, EventID: "E1", Status: 200, Copies: []validate.Copy{{Partition: 0, Offset: 1, ProducerID: -1}, {Partition: 0, Offset: 2, ProducerID: -1}}, Took: 1500 * time.Millisecond, Window: 1400 * time.Millisecond},
		{API: "franz", Mode: prodlab.Idempotent, EventID: "E2", Status: 200, Copies: []validate.Copy{{Partition: 1, Offset: 3, ProducerID: 7}, {Partition: 1, Offset: 4, ProducerID: 7}}, Took: time.Second, Window: time.Second},
	}}
	erep := experiment.Report{Schedule: "latency", Description: "d", RunID: "r1", N: 10, Keys: 2, Topic: "t", Rows: []experiment.Row{{API: "franz", Mode: prodlab.Plain, Sent: 10}}}
	for _, tc := range []struct {
		lang i18n.Lang
		want []string
	}{
		{i18n.FR, []string{"ÉCHEC : franz_plain=2 franz_idempotent=2", "librdkafka : non validé : x.", "franz_plain : 2 copies de l'eventId E1 dans bhf-transactions (réponse après 1.5s, fenêtre 1.4s)", "La démonstration a échoué :", "franz_idempotent a écrit 2 copies de E2 : un producteur idempotent doit en écrire exactement 1",
			"scénario latency : d", "run r1 : 10 messages par ligne sur 2 clés", "envoyés", "changements de panne", "validate : API franz\n"}},
		{i18n.EN, []string{"FAIL: franz_plain=2 franz_idempotent=2", "librdkafka: not validated: x.", "franz_plain: 2 copies of eventId E1 in bhf-transactions (answer after 1.5s, window 1.4s)", "The demonstration failed:", "franz_idempotent wrote 2 copies of E2: an idempotent producer must write exactly 1",
			"schedule latency: d", "run r1: 10 messages per row over 2 keys", "sent", "fault changes", "validate: API franz\n"}},
	} {
		inLang(t, tc.lang)
		var b strings.Builder
		if err := vrep.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if err := erep.WriteTable(&b); err != nil {
			t.Fatal(err)
		}
		validateProgress(&b)("API %s", "franz")
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: no %q in\n%s", tc.lang, w, b.String())
			}
		}
	}
}

// TestFlagHelpIsFrench: every flag a trainee's command takes is described
// in French by -h under a French locale (a help text changed in the code
// but not in the catalogue would show up here in English).
func TestFlagHelpIsFrench(t *testing.T) {
	desc := func(out string) []string {
		var d []string
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "    \t") {
				d = append(d, line)
			}
		}
		return d
	}
	for _, args := range [][]string{{"up"}, {"down"}, {"validate"}, {"experiment"}, {"consume"}, {"topic", "list"}, {"compaction-check"}, {"progress"}, {"kafka"}, {"api"}, {"bench"}} {
		fr := desc(runIn(t, "fr_FR.UTF-8", append(args, "-h")...))
		en := desc(runIn(t, "C", append(args, "-h")...))
		if len(fr) == 0 || len(fr) != len(en) {
			t.Errorf("%s -h: %d French descriptions, %d English", args[0], len(fr), len(en))
			continue
		}
		for i := range fr {
			// One default per flag: a text that states its own default
			// leaves none for the flag package to add.
			if n := strings.Count(en[i], "(default"); n > 1 {
				t.Errorf("%s -h: %d defaults in %s", args[0], n, strings.TrimSpace(en[i]))
			}
			if n := strings.Count(fr[i], "(par défaut"); n > 1 {
				t.Errorf("%s -h: %d defaults in %s", args[0], n, strings.TrimSpace(fr[i]))
			}
			// The "(default ...)" note is translated apart: compare what
			// comes before it, so an English text with a French note fails.
			if withoutDefault(fr[i]) == withoutDefault(en[i]) {
				t.Errorf("%s -h: still in English under LANG=fr_FR.UTF-8: %s", args[0], strings.TrimSpace(fr[i]))
			}
		}
	}
}

// withoutDefault is a flag description without its "(default ...)" note,
// in either language.
func withoutDefault(d string) string {
	for _, note := range []string{" (default ", " (" + i18n.Text(i18n.FR, "cli.flag.default") + " "} {
		if i := strings.LastIndex(d, note); i >= 0 {
			d = d[:i]
		}
	}
	return d
}

// TestFlagErrorIsOneLine: a bad flag gets one translated line, never the
// usage text, in every command that has one; a bad yes/no value is not
// called "not a number".
func TestFlagErrorIsOneLine(t *testing.T) {
	notBool := i18n.Text(i18n.FR, "cli.flag.why.bool")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"topic", "list", "--json=x"}, notBool},
		{[]string{"kafka", "status", "--nope"}, "-nope"},
		{[]string{"validate", "--json=x"}, notBool},
		{[]string{"experiment", "--quiet=x"}, notBool},
		{[]string{"consume", "--json=x"}, notBool},
		{[]string{"topic", "list", "--timeout", "x"}, "n'est pas une durée"},
		{[]string{"experiment", "--nope"}, "-nope"},
		{[]string{"up", "--allowed-host", "a b"}, "n'est pas un nom d'hôte"},
	} {
		out := strings.TrimSpace(runIn(t, "fr_FR.UTF-8", tc.args...))
		if strings.Count(out, "\n") > 0 || !strings.Contains(out, tc.want) {
			t.Errorf("prodlab %q: want one line with %q, got:\n%s", tc.args, tc.want, out)
		}
		if strings.Contains(out, i18n.Text(i18n.FR, "cli.flag.why.parse")) {
			t.Errorf("prodlab %q: a yes/no value called not a number: %s", tc.args, out)
		}
	}
}
