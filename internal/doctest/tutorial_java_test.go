package doctest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/experiment"
	"github.com/prodlab/prodlab/internal/javatest"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/target/targettest"
	"github.com/prodlab/prodlab/internal/validate"
)

// JavaTutorialPath is the Java tutorial, relative to the repository root.
const JavaTutorialPath = "docs/lab/TUTORIAL-JAVA.md"

// Directives of the Java tutorial's complete files.
const (
	JavaFullProgram = "tutorial: full-program"
	JavaPom         = "tutorial: pom"
)

// JavaTutorialVersions are the kafka-clients versions the tutorial's API is
// built with: the seed's and the current 4.x.
var JavaTutorialVersions = []string{"3.6.1", "4.4.0"}

// TestTutorialJava builds the Java tutorial's API with Maven, once per
// kafka-clients version, runs it against an embedded lab and drives it: one
// sync and one async send found once in the log, bad input refused, then
// Lab 02.4 through it next to the lab's two APIs, where validate must print
// java_idempotent=1 java_plain=2; last, Ctrl-C stops it cleanly.
func TestTutorialJava(t *testing.T) {
	enabled(t)
	javatest.Tools(t)
	root := repoRoot(t)
	md, err := os.ReadFile(filepath.Join(root, JavaTutorialPath))
	if err != nil {
		t.Fatal(err)
	}
	pom, src := javaTutorialFiles(t, string(md))
	l := labtest.Start(t)
	for _, v := range JavaTutorialVersions {
		t.Run(v, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "src", "main", "java"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "pom.xml"), []byte(pom), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "src", "main", "java", "ProducerApi.java"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			cp := javatest.Build(t, dir, filepath.Join(dir, "target"), "kafka.version="+v)
			url, stop := startJavaTutorial(t, cp, strings.Join(l.ProxyAddrs(), ","))
			driveJavaTutorial(t, l, url)

			topic := labtest.Topic(t, l, 3, nil)
			tg := targettest.Of(t, l, topic, target.APIs(append(targettest.APIs(l), validate.API{Name: "java", URL: url})...))
			var opts []validate.Opt
			if testing.Verbose() {
				opts = append(opts, validate.Progress(t.Logf))
			}
			val, err := validate.New(tg, opts...)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			start := time.Now()
			rep, err := val.Run(ctx)
			var out strings.Builder
			_ = rep.WriteText(&out)
			t.Logf("validate over %d APIs with kafka-clients %s, in %v:\n%s", len(tg.APIs()), v, time.Since(start).Round(time.Millisecond), out.String())
			if err != nil {
				t.Fatalf("validate: %v", err)
			}
			if !strings.Contains(rep.Summary(), "java_idempotent=1 java_plain=2") {
				t.Fatalf("summary %q, want java_idempotent=1 java_plain=2", rep.Summary())
			}
			for _, r := range rep.Runs {
				if r.API != "java" {
					continue
				}
				if got := labtest.Count(t, l, topic, r.EventID); len(got) != len(r.Copies) {
					t.Errorf("%s: the report has %d copies, the log %d", r.Name(), len(r.Copies), len(got))
				}
			}
			experimentJava(t, l, url)
			stop()
		})
	}
}

// experimentJava runs `prodlab experiment` (ack-loss) with the Java API as
// its only rows: its records are found by the eventId in their JSON value;
// idempotent mode loses and duplicates nothing, plain mode duplicates.
func experimentJava(t *testing.T, l *lab.Lab, url string) {
	t.Helper()
	const n = 60 // 2 s of sends at 30/s: the first window opens after 1 s
	tg := targettest.Of(t, l, labtest.Topic(t, l, 3, nil), target.APIs(experiment.API{Name: "java", URL: url}))
	e, err := experiment.New(tg, experiment.N(n), experiment.Keys(4), experiment.Rate(30))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := e.Run(ctx, nil)
	if err != nil {
		t.Fatalf("experiment: %v", err)
	}
	var tab strings.Builder
	_ = rep.WriteTable(&tab)
	var events strings.Builder
	for _, e := range rep.Events {
		events.WriteString("  " + e.At.Round(time.Millisecond).String() + " " + e.What + "\n")
	}
	t.Logf("experiment ack-loss, Java API only:\n%s\nfaults:\n%s", tab.String(), events.String())
	if len(rep.Rows) != 2 || rep.Unknown != 0 {
		t.Fatalf("%d rows and %d unknown records, want 2 rows (java plain, java idempotent) and 0", len(rep.Rows), rep.Unknown)
	}
	for _, r := range rep.Rows {
		// kafka-clients 4.x rebootstraps after each timed-out request, so a
		// few sends may outlast the experiment's 10 s HTTP timeout under
		// repeated windows: they count as indeterminate, never as failed.
		if r.Sent != n || r.Lost != 0 || r.Failed != 0 || r.Indeterminate > n/4 {
			t.Errorf("%s: sent %d, lost %d, failed %d, indeterminate %d: %+v", r.Name(), r.Sent, r.Lost, r.Failed, r.Indeterminate, r)
		}
		switch r.Mode {
		case prodlab.Idempotent:
			if r.Duplicated != 0 || r.OrderViolations != 0 {
				t.Errorf("%s: %+v, want every send written once, in order", r.Name(), r)
			}
		case prodlab.Plain:
			if r.Duplicated < 1 {
				t.Errorf("%s: no duplicate: the lost acknowledgements were not retried into duplicates: %+v", r.Name(), r)
			}
		}
	}
}

// javaTutorialFiles returns the tutorial's pom.xml and ProducerApi.java, and
// checks that every Java excerpt of its steps is part of the full program.
func javaTutorialFiles(t *testing.T, md string) (pom, src string) {
	t.Helper()
	fences, err := Fences(md)
	if err != nil {
		t.Fatalf("%s: %v", JavaTutorialPath, err)
	}
	var poms, full, excerpts []Fence
	for _, f := range fences {
		switch {
		case f.Lang == "xml" && f.Directive == JavaPom:
			poms = append(poms, f)
		case f.Lang == "java" && f.Directive == JavaFullProgram:
			full = append(full, f)
		case f.Lang == "java":
			excerpts = append(excerpts, f)
		}
	}
	if len(poms) != 1 || len(full) != 1 {
		t.Fatalf("%s: %d xml blocks marked <!-- %s --> and %d java blocks marked <!-- %s -->, want 1 and 1",
			JavaTutorialPath, len(poms), JavaPom, len(full), JavaFullProgram)
	}
	lines := map[string]bool{}
	for _, ln := range strings.Split(full[0].Body, "\n") {
		lines[strings.TrimSpace(ln)] = true
	}
	for _, e := range excerpts {
		for _, ln := range strings.Split(e.Body, "\n") {
			if s := strings.TrimSpace(ln); s != "" && !lines[s] {
				t.Errorf("%s line %d: the excerpt's line %q is not in the full program", JavaTutorialPath, e.Line, s)
			}
		}
	}
	return poms[0].Body, full[0].Body
}

// driveJavaTutorial checks the API's contract: /health, a sync idempotent
// send at the partition and offset it answers, an async plain send whose
// status turns OK, and bad input refused with the field named.
func driveJavaTutorial(t *testing.T, lab *lab.Lab, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := labtest.Eventually(ctx, func() bool {
		resp, err := http.Get(url + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}); err != nil {
		t.Fatalf("the Java API's /health never answered OK: %v", err)
	}

	syncID := eventID("tuto-java-sync")
	var sent struct {
		Status    string `json:"status"`
		Partition int32  `json:"partition"`
		Offset    int64  `json:"offset"`
	}
	if code := postJSON(t, url+"/api/v1/send?mode=idempotent&sendMode=sync&eventId="+syncID, &sent); code != http.StatusOK || sent.Status != "OK" {
		t.Fatalf("sync send: HTTP %d, status %q", code, sent.Status)
	}
	recs := labtest.Count(t, lab, prodlab.DefaultTopic, syncID)
	if len(recs) != 1 {
		t.Fatalf("sync send: %d copies of %s in the log, want 1", len(recs), syncID)
	}
	if recs[0].Partition != sent.Partition || recs[0].Offset != sent.Offset || string(recs[0].Key) != syncID {
		t.Errorf("sync send answered %d/%d; the record is at %d/%d with key %q", sent.Partition, sent.Offset, recs[0].Partition, recs[0].Offset, recs[0].Key)
	}
	if len(recs[0].Headers) != 0 || prodlab.ValueEventID(recs[0].Value) != syncID {
		t.Errorf("the record should carry its eventId in its JSON value only, like the seed's: headers %v, value %s", recs[0].Headers, recs[0].Value)
	}
	if recs[0].ProducerID < 0 {
		t.Errorf("idempotent record without a producer id")
	}

	asyncID := eventID("tuto-java-async")
	var accepted struct {
		RequestID string `json:"requestId"`
	}
	if code := postJSON(t, url+"/api/v1/send?mode=plain&sendMode=async&eventId="+asyncID, &accepted); code != http.StatusAccepted || accepted.RequestID == "" {
		t.Fatalf("async send: HTTP %d, requestId %q", code, accepted.RequestID)
	}
	var st struct {
		State  string `json:"state"`
		Offset int64  `json:"offset"`
	}
	if err := labtest.Eventually(ctx, func() bool {
		resp, err := http.Get(url + "/api/v1/status?requestId=" + accepted.RequestID)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&st) == nil && st.State != "PENDING"
	}); err != nil || st.State != "OK" {
		t.Fatalf("async status: state %q (%v), want OK", st.State, err)
	}
	if recs := labtest.Count(t, lab, prodlab.DefaultTopic, asyncID); len(recs) != 1 || recs[0].Offset != st.Offset {
		t.Fatalf("async send: %d copies in the log (status said offset %d), want 1", len(recs), st.Offset)
	}

	for _, tc := range []struct{ query, field string }{
		{"mode=maybe&eventId=x", "mode"},
		{"mode=plain&eventId=x&colour=red", "colour"},
		{"mode=plain", "eventId"},
		{"mode=plain&eventId=x&partition=99", "partition"},
		{"mode=plain&eventId=x&sendMode=later", "sendMode"},
	} {
		var bad struct {
			Field  string `json:"field"`
			Status int    `json:"status"`
		}
		if code := postJSON(t, url+"/api/v1/send?"+tc.query, &bad); code != http.StatusBadRequest || bad.Field != tc.field || bad.Status != 400 {
			t.Errorf("%s: HTTP %d field %q, want 400 %s", tc.query, code, bad.Field, tc.field)
		}
	}
	var unknown struct{ Field string }
	if code := getJSON(t, url+"/api/v1/status?requestId=nope", &unknown); code != http.StatusNotFound || unknown.Field != "requestId" {
		t.Errorf("unknown requestId: HTTP %d field %q, want 404 requestId", code, unknown.Field)
	}
}

// startJavaTutorial runs the API of classpath cp on a free port against
// bootstrap and returns its URL, read from its log, and a func that stops it
// with SIGINT and checks that its shutdown hook ran.
func startJavaTutorial(t *testing.T, cp, bootstrap string) (string, func()) {
	t.Helper()
	java, _ := javatest.Tools(t)
	cmd := exec.Command(java, "-cp", cp, "ProducerApi")
	cmd.Env = append(os.Environ(), "KAFKA_BOOTSTRAP_SERVERS="+bootstrap, "SERVER_PORT=0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	var logs syncBuf
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(os.Interrupt)
		exited := make(chan error, 1)
		go func() { <-logDone; exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			// The JVM exits 130 (128 + SIGINT) after its shutdown hooks.
			var ee *exec.ExitError
			if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 130) {
				t.Errorf("the Java API exited with %v after Ctrl-C:\n%s", err, logs.String())
			} else if !strings.Contains(logs.String(), "API arrêtée") {
				t.Errorf("the Java API did not log its graceful shutdown:\n%s", logs.String())
			}
		case <-time.After(45 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("the Java API still runs 45s after Ctrl-C:\n%s", logs.String())
		}
		if testing.Verbose() {
			t.Logf("Java API log:\n%s", logs.String())
		}
	}
	t.Cleanup(stop)
	deadline := time.After(60 * time.Second)
	for {
		select {
		case ln, ok := <-lines:
			if !ok {
				t.Fatalf("the Java API exited before listening:\n%s", logs.String())
			}
			if _, rest, found := strings.Cut(ln, "API à l'écoute sur "); found {
				return strings.Fields(rest)[0], stop
			}
		case <-deadline:
			t.Fatalf("the Java API did not say where it listens:\n%s", logs.String())
		}
	}
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: HTTP %d, body is not JSON: %v", url, resp.StatusCode, err)
	}
	return resp.StatusCode
}
