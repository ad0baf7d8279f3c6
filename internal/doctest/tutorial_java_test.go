package doctest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/experiment"
	"github.com/prodlab/prodlab/internal/kafkalocal"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/target/targettest"
	"github.com/prodlab/prodlab/internal/wait"
)

// JavaTutorialPath is the Java tutorial, relative to the repository root.
const JavaTutorialPath = "docs/lab/TUTORIAL-JAVA.md"

// JavaFile is the directive before each complete file of the Java
// tutorial's project, followed by the file's path in the project:
// <!-- tutorial: file src/main/resources/application.properties -->. The
// guide is the one source of the project: the test builds what it shows.
const JavaFile = "tutorial: file "

// JavaTutorialVersions are the kafka-clients versions the tutorial's API is
// built with: the seed's, which the tutorial's pom.xml pins, and the 4.x the
// lab pins for Apache Kafka (kafkalocal.Version), which its commands name.
var JavaTutorialVersions = []string{"3.6.1", kafkalocal.Version}

// TestTutorialJava builds the Java tutorial's Spring Boot API with Maven,
// once per kafka-clients version, runs it from its classpath against an
// embedded lab and drives it: one sync and one async send found once in
// the log, bad input refused, 32 concurrent sends each written once, the
// status store bounded by STATUS_MAX; then `prodlab validate --api java=...` (Lab
// 02.4) must find java_idempotent=1 java_plain=2, and an ack-loss
// experiment must find plain duplicates and idempotent none; last, Ctrl-C
// stops it cleanly. Subtest relay runs the API again against a lab in
// relay mode, over a cluster whose broker advertises its own address,
// bootstrapped at the lab's proxy kafka: validate must find
// java_idempotent=1 java_plain=2 there too.
func TestTutorialJava(t *testing.T) {
	enabled(t)
	javaTools(t)
	root := repoRoot()
	md, err := os.ReadFile(filepath.Join(root, JavaTutorialPath))
	if err != nil {
		t.Fatal(err)
	}
	files, main := javaTutorialFiles(t, string(md))
	bin := filepath.Join(t.TempDir(), "prodlab")
	build := exec.Command("go", "build", "-o", bin, "./cmd/prodlab")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/prodlab: %v\n%s", err, out)
	}
	l := labtest.Start(t)
	relayed, _ := labtest.Relayed(t, 1)
	for _, v := range JavaTutorialVersions {
		t.Run(v, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// The trainee runs `mvn spring-boot:run`; the test runs the
			// compiled classes on the classpath Maven resolved, with no
			// packaging step.
			out := filepath.Join(dir, "target")
			cp := mvnBuild(t, dir, out, "kafka.version="+v,
				"mdep.outputFile="+filepath.Join(out, "classpath.txt"), "mdep.includeScope=runtime")
			if !strings.Contains(cp, "kafka-clients-"+v+".jar") {
				t.Fatalf("-Dkafka.version=%s did not pick kafka-clients %s: classpath %s", v, v, cp)
			}
			start := time.Now()
			url, stop := startJavaTutorial(t, cp, main, strings.Join(l.ProxyAddrs(), ","))
			t.Logf("kafka-clients %s: Spring Boot listened after %v", v, time.Since(start).Round(time.Millisecond))
			driveJavaTutorial(t, l, url)
			validateJava(t, bin, l, url, v)
			experimentJava(t, l, url)
			stop()
			// A cluster whose brokers advertise their own addresses: the
			// same API, bootstrapped at the lab's proxy kafka, crosses
			// Toxiproxy through the relay, and validate proves Lab 02.4 on it.
			t.Run("relay", func(t *testing.T) {
				url, stop := startJavaTutorial(t, cp, main, strings.Join(relayed.ProxyAddrs(), ","))
				waitHealthy(t, url, "the Java API's")
				validateJava(t, bin, relayed, url, v+" (relay)")
				stop()
			})
		})
	}
}

// TestTutorialJavaVersions checks, without Java, the versions the Java
// tutorial names: its pom.xml pins the seed's kafka-clients, and every
// kafka-clients version its text gives (-Dkafka.version=..., "version
// 4.4.0") is one the test builds.
func TestTutorialJavaVersions(t *testing.T) {
	md, err := os.ReadFile(filepath.Join(repoRoot(), JavaTutorialPath))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := javaTutorialFiles(t, string(md))
	var pom struct {
		Kafka string `xml:"properties>kafka.version"`
	}
	if err := xml.Unmarshal([]byte(files["pom.xml"]), &pom); err != nil {
		t.Fatalf("the tutorial's pom.xml: %v", err)
	}
	if pom.Kafka != JavaTutorialVersions[0] {
		t.Errorf("the tutorial's pom.xml pins kafka.version %q, want the seed's %s", pom.Kafka, JavaTutorialVersions[0])
	}
	named := regexp.MustCompile(`kafka\.version=([0-9]+(?:\.[0-9]+)*)|(?:version|kafka-clients)\s+([0-9]+\.[0-9]+\.[0-9]+)`).FindAllStringSubmatch(string(md), -1)
	if len(named) == 0 {
		t.Fatalf("%s names no kafka-clients 4.x version to try", JavaTutorialPath)
	}
	for _, m := range named {
		if v := m[1] + m[2]; !slices.Contains(JavaTutorialVersions, v) {
			t.Errorf("%s names kafka-clients %s; the test builds %v", JavaTutorialPath, v, JavaTutorialVersions)
		}
	}
}

// validateJava runs `prodlab validate --api java=url --json` against l, as
// the tutorial's last step does, and checks that the lost acknowledgement
// was retried into two copies in plain mode and one in idempotent mode,
// each found in the log.
func validateJava(t *testing.T, bin string, l *lab.Lab, url, version string) {
	t.Helper()
	topic := labtest.Topic(t, l, 3, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	args := []string{"validate", "--json", "--api", "java=" + url, "--toxiproxy", l.ToxiproxyURL(), "--topic", topic}
	if l.FaultMode() != lab.Relayed {
		// In relay mode validate finds the log's bootstrap by itself,
		// through Toxiproxy's proxy kafka.
		args = append(args, "--bootstrap", strings.Join(l.DirectAddrs(), ","))
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	var rep struct {
		Summary string `json:"summary"`
		Runs    []struct {
			API     string       `json:"api"`
			Mode    prodlab.Mode `json:"mode"`
			EventID string       `json:"eventId"`
			Copies  []struct {
				Partition int32 `json:"partition"`
				Offset    int64 `json:"offset"`
			} `json:"copies"`
		} `json:"runs"`
	}
	if jerr := json.Unmarshal(stdout.Bytes(), &rep); jerr != nil || err != nil {
		t.Fatalf("prodlab validate: %v (JSON: %v)\nstdout:\n%s\nstderr:\n%s", err, jerr, stdout.String(), stderr.String())
	}
	t.Logf("prodlab validate --api java=... with kafka-clients %s, in %v: %s", version, time.Since(start).Round(time.Millisecond), rep.Summary)
	if testing.Verbose() {
		t.Logf("validate's progress:\n%s", stderr.String())
	}
	if !strings.Contains(rep.Summary, "java_idempotent=1 java_plain=2") {
		t.Fatalf("summary %q, want java_idempotent=1 java_plain=2", rep.Summary)
	}
	want := map[prodlab.Mode]int{prodlab.Idempotent: 1, prodlab.Plain: 2}
	for _, r := range rep.Runs {
		got := labtest.Count(t, l, topic, r.EventID)
		if r.API != "java" || len(r.Copies) != want[r.Mode] || len(got) != len(r.Copies) {
			t.Errorf("%s_%s %s: the report has %d copies, the log %d, want %d", r.API, r.Mode, r.EventID, len(r.Copies), len(got), want[r.Mode])
		}
		delete(want, r.Mode)
	}
	if len(want) != 0 {
		t.Errorf("validate ran no window for %v", want)
	}
}

// experimentJava runs `prodlab experiment` (ack-loss) with the Java API as
// its only rows: its records are found by the eventId in their JSON value;
// idempotent mode loses and duplicates nothing, plain mode duplicates.
func experimentJava(t *testing.T, l *lab.Lab, url string) {
	t.Helper()
	const n = 60 // 2 s of sends at 30/s: the first window opens after 1 s
	tg := targettest.Of(t, l, labtest.Topic(t, l, 3, nil), target.APIs(target.API{Name: "java", URL: url}))
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

// javaTutorialFiles returns the files of the tutorial's project, by path,
// and the class name of its @SpringBootApplication. Each file's block must
// be introduced by prose that names its path, and every line of a Java
// excerpt must be a line of one of the files.
func javaTutorialFiles(t *testing.T, md string) (files map[string]string, main string) {
	t.Helper()
	fences, err := Fences(md)
	if err != nil {
		t.Fatalf("%s: %v", JavaTutorialPath, err)
	}
	files = map[string]string{}
	lines := map[string]bool{}
	var excerpts []Fence
	for _, f := range fences {
		name, ok := strings.CutPrefix(f.Directive, JavaFile)
		if !ok {
			if f.Lang == "java" {
				excerpts = append(excerpts, f)
			}
			continue
		}
		name = strings.TrimSpace(name)
		if name == "" || name != path.Clean(name) || path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			t.Fatalf("%s line %d: file path %q must be relative to the project, inside it", JavaTutorialPath, f.Line, name)
		}
		if _, dup := files[name]; dup {
			t.Fatalf("%s line %d: %s is given twice", JavaTutorialPath, f.Line, name)
		}
		if !strings.Contains(f.Prose, "`"+name+"`") {
			t.Errorf("%s line %d: the text before the block does not name its file `%s`", JavaTutorialPath, f.Line, name)
		}
		files[name] = f.Body
		if strings.HasSuffix(name, ".java") {
			for _, ln := range strings.Split(f.Body, "\n") {
				lines[strings.TrimSpace(ln)] = true
			}
			if strings.Contains(f.Body, "@SpringBootApplication") {
				main = strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(name, "src/main/java/"), ".java"), "/", ".")
			}
		}
	}
	if files["pom.xml"] == "" || main == "" {
		t.Fatalf("%s: want a block marked <!-- %spom.xml --> and a Java file with @SpringBootApplication", JavaTutorialPath, JavaFile)
	}
	for _, e := range excerpts {
		for _, ln := range strings.Split(e.Body, "\n") {
			if s := strings.TrimSpace(ln); s != "" && !lines[s] {
				t.Errorf("%s line %d: the excerpt's line %q is in none of the project's files", JavaTutorialPath, e.Line, s)
			}
		}
	}
	return files, main
}

// driveJavaTutorial checks the API's contract: /health, a sync idempotent
// send at the partition and offset it answers, an async plain send whose
// status turns OK, and bad input refused with the field named.
func driveJavaTutorial(t *testing.T, lab *lab.Lab, url string) {
	t.Helper()
	waitHealthy(t, url, "the Java API's")

	rec := checkSends(t, lab, url, "tuto-java")
	if len(rec.Headers) != 0 || prodlab.ValueEventID(rec.Value) != string(rec.Key) {
		t.Errorf("the record should carry its eventId in its JSON value only, like the seed's: headers %v, value %s", rec.Headers, rec.Value)
	}
	if rec.ProducerID < 0 {
		t.Errorf("idempotent record without a producer id")
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
	concurrentJava(t, lab, url)
	boundedJava(t, url)
}

// concurrentJava sends 32 sync records at once, half plain, half
// idempotent: each must be written once, where its answer says.
func concurrentJava(t *testing.T, lab *lab.Lab, url string) {
	t.Helper()
	type answer struct {
		id        string
		err       error
		Status    string `json:"status"`
		Partition int32  `json:"partition"`
		Offset    int64  `json:"offset"`
	}
	answers := make([]answer, 32)
	var wg sync.WaitGroup
	for i := range answers {
		mode := [...]string{"plain", "idempotent"}[i%2]
		answers[i].id = eventID("tuto-java-" + mode)
		wg.Add(1)
		go func(a *answer) {
			defer wg.Done()
			resp, err := http.Post(url+"/api/v1/send?sendMode=sync&mode="+mode+"&eventId="+a.id, "", nil)
			if err != nil {
				a.err = err
				return
			}
			defer resp.Body.Close()
			if err := json.NewDecoder(resp.Body).Decode(a); err != nil || resp.StatusCode != http.StatusOK {
				a.err = fmt.Errorf("HTTP %d, %v", resp.StatusCode, err)
			}
		}(&answers[i])
	}
	wg.Wait()
	for _, a := range answers {
		if a.err != nil || a.Status != "OK" {
			t.Errorf("concurrent send %s: status %q, %v", a.id, a.Status, a.err)
			continue
		}
		if recs := labtest.Count(t, lab, prodlab.DefaultTopic, a.id); len(recs) != 1 || recs[0].Partition != a.Partition || recs[0].Offset != a.Offset {
			t.Errorf("concurrent send %s answered %d/%d: %d copies in the log", a.id, a.Partition, a.Offset, len(recs))
		}
	}
}

// boundedJava fills the status store (STATUS_MAX=javaStatusMax) with one
// async send more than it holds: the oldest is forgotten (404), the newest
// ends OK.
func boundedJava(t *testing.T, url string) {
	t.Helper()
	var ids []string
	for range javaStatusMax + 1 {
		var accepted struct {
			RequestID string `json:"requestId"`
		}
		if code := postJSON(t, url+"/api/v1/send?mode=plain&sendMode=async&eventId="+eventID("tuto-java-bound"), &accepted); code != http.StatusAccepted {
			t.Fatalf("async send: HTTP %d", code)
		}
		ids = append(ids, accepted.RequestID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var last struct{ State string }
	if err := wait.Until(ctx, func() bool {
		return getJSON(t, url+"/api/v1/status?requestId="+ids[len(ids)-1], &last) == http.StatusOK && last.State != "PENDING"
	}); err != nil || last.State != "OK" {
		t.Fatalf("the newest async send: state %q (%v), want OK", last.State, err)
	}
	var first struct{ Field string }
	if code := getJSON(t, url+"/api/v1/status?requestId="+ids[0], &first); code != http.StatusNotFound || first.Field != "requestId" {
		t.Errorf("the oldest of %d async sends with STATUS_MAX=%d: HTTP %d, want 404: the store is not bounded", len(ids), javaStatusMax, code)
	}
}

// javaStatusMax is the status store's size in the test (STATUS_MAX).
const javaStatusMax = 16

// startJavaTutorial runs main class main of classpath cp on a free port
// against bootstrap and returns its URL and a func that stops it (see
// startProgram). Spring Boot logs to stdout, the JVM's errors go to stderr.
func startJavaTutorial(t *testing.T, cp, main, bootstrap string) (string, func()) {
	t.Helper()
	java, _ := javaTools(t)
	cmd := exec.Command(java, "-cp", cp, main)
	cmd.Env = append(os.Environ(), "KAFKA_BOOTSTRAP_SERVERS="+bootstrap, "SERVER_PORT=0",
		"STATUS_MAX="+strconv.Itoa(javaStatusMax))
	// The JVM exits 130 (128 + SIGINT) after its shutdown hooks.
	return startProgram(t, cmd, program{name: "the Java API", stopped: "API arrêtée", exitCode: 130, listenWithin: 90 * time.Second, stopWithin: 45 * time.Second})
}
