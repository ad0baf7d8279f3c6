package doctest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/target/targettest"
	"github.com/prodlab/prodlab/internal/validate"
	"github.com/prodlab/prodlab/internal/wait"
)

// TutorialPath is the Go tutorial, relative to the repository root.
const TutorialPath = "docs/lab/TUTORIAL-GO.md"

// FullProgram is the directive that marks the tutorial's complete main.go.
const FullProgram = "tutorial: full-program"

// tutorialModules are the modules the tutorial's go.mod pins, at the
// versions this repository's go.mod requires.
var tutorialModules = []string{
	"github.com/twmb/franz-go",
	"github.com/twmb/franz-go/pkg/kmsg",
	"github.com/klauspost/compress",
	"github.com/pierrec/lz4/v4",
}

// TestTutorial builds the tutorial's full program in its own module, runs it
// against an embedded lab, sends one sync and one async record through it,
// finds each exactly once in the log, and stops it with Ctrl-C.
func TestTutorial(t *testing.T) {
	enabled(t)
	root := repoRoot()
	md, err := os.ReadFile(filepath.Join(root, TutorialPath))
	if err != nil {
		t.Fatal(err)
	}
	src := tutorialProgram(t, string(md))

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(tutorialGoMod(t, root)), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "producer-api")
	buildCtx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(buildCtx, "go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the tutorial's program does not build: %v\n%s", err, out)
	}
	vet := exec.CommandContext(buildCtx, "go", "vet", ".")
	vet.Dir, vet.Env = dir, build.Env
	if out, err := vet.CombinedOutput(); err != nil {
		t.Errorf("go vet on the tutorial's program: %v\n%s", err, out)
	}

	l := labtest.Start(t)
	url, stop := startTutorial(t, bin, l.ProxyAddrs()[0])

	waitHealthy(t, url, "the tutorial's")
	checkSends(t, l, url, "tuto")

	// Bad input gets a 400 naming the field.
	var bad struct {
		Field string `json:"field"`
	}
	if code := postJSON(t, url+"/api/v1/send?mode=maybe&eventId=x", &bad); code != http.StatusBadRequest || bad.Field != "mode" {
		t.Errorf("mode=maybe: HTTP %d field %q, want 400 mode", code, bad.Field)
	}

	// The tutorial's "Avec une panne": an ack lost, then a retry that reaches
	// the broker once the fault is gone, writes 2 copies in plain mode and 1
	// in idempotent mode. validate makes that window through this API alone.
	tg := targettest.Of(t, l, prodlab.DefaultTopic, target.APIs(target.API{Name: "go", URL: url}))
	val, err := validate.New(tg)
	if err != nil {
		t.Fatal(err)
	}
	vctx, vcancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer vcancel()
	rep, err := val.Run(vctx)
	var out strings.Builder
	_ = rep.WriteText(&out)
	t.Logf("validate through the tutorial's API:\n%s", out.String())
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	if !strings.Contains(rep.Summary(), "go_idempotent=1 go_plain=2") {
		t.Fatalf("summary %q, want go_idempotent=1 go_plain=2", rep.Summary())
	}
	stop()
}

// tutorialProgram returns the tutorial's full program and checks that every
// excerpt shown in its steps is part of it.
func tutorialProgram(t *testing.T, md string) string {
	t.Helper()
	fences, err := Fences(md)
	if err != nil {
		t.Fatalf("%s: %v", TutorialPath, err)
	}
	var full []Fence
	var excerpts []Fence
	for _, f := range fences {
		if f.Lang != "go" {
			continue
		}
		if f.Directive == FullProgram {
			full = append(full, f)
		} else {
			excerpts = append(excerpts, f)
		}
	}
	if len(full) != 1 {
		t.Fatalf("%s: %d go blocks marked <!-- %s -->, want 1", TutorialPath, len(full), FullProgram)
	}
	lines := map[string]bool{}
	for _, ln := range strings.Split(full[0].Body, "\n") {
		lines[strings.TrimSpace(ln)] = true
	}
	for _, e := range excerpts {
		for _, ln := range strings.Split(e.Body, "\n") {
			if s := strings.TrimSpace(ln); s != "" && !lines[s] {
				t.Errorf("%s line %d: the excerpt's line %q is not in the full program", TutorialPath, e.Line, s)
			}
		}
	}
	return full[0].Body
}

// tutorialGoMod pins tutorialModules at the versions root's go.mod requires.
func tutorialGoMod(t *testing.T, root string) string {
	t.Helper()
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	versions := map[string]string{}
	for _, ln := range strings.Split(string(gomod), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(ln), "require "))
		if len(f) >= 2 && strings.HasPrefix(f[1], "v") {
			versions[f[0]] = f[1]
		}
	}
	var b strings.Builder
	b.WriteString("module tutorial\n\ngo 1.26\n\nrequire (\n")
	for _, m := range tutorialModules {
		v, ok := versions[m]
		if !ok {
			t.Fatalf("go.mod does not require %s", m)
		}
		fmt.Fprintf(&b, "\t%s %s\n", m, v)
	}
	b.WriteString(")\n")
	return b.String()
}

// startTutorial runs the program against bootstrap on a free port and returns
// its URL and a func that stops it (see startProgram).
func startTutorial(t *testing.T, bin, bootstrap string) (string, func()) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "BOOTSTRAP="+bootstrap, "ADDR=127.0.0.1:0")
	return startProgram(t, cmd, program{name: "the tutorial's program", stopped: "arrêté", listenWithin: 30 * time.Second, stopWithin: 30 * time.Second})
}

// program says how a tutorial's API behaves, for startProgram.
type program struct {
	name                     string // in test messages
	stopped                  string // what its log says once stopped cleanly
	exitCode                 int    // its exit status after Ctrl-C, if not 0
	listenWithin, stopWithin time.Duration
}

// startProgram starts cmd, reads its stdout and stderr as its log, and
// returns the URL the log says it listens on ("API à l'écoute sur ...")
// and a func, also run at cleanup, that stops it with SIGINT and checks
// the graceful shutdown.
func startProgram(t *testing.T, cmd *exec.Cmd, p program) (string, func()) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	var logs syncBuf
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			if _, rest, found := strings.Cut(sc.Text(), "API à l'écoute sur "); found && len(strings.Fields(rest)) > 0 {
				select {
				case listening <- strings.Fields(rest)[0]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
		pr.Close()
		exited <- cmd.Wait()
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			var ee *exec.ExitError
			if err != nil && !(errors.As(err, &ee) && p.exitCode != 0 && ee.ExitCode() == p.exitCode) {
				t.Errorf("%s exited with %v after Ctrl-C:\n%s", p.name, err, logs.String())
			} else if !strings.Contains(logs.String(), p.stopped) {
				t.Errorf("%s did not log its graceful shutdown:\n%s", p.name, logs.String())
			}
		case <-time.After(p.stopWithin):
			_ = cmd.Process.Kill()
			t.Errorf("%s still runs %v after Ctrl-C:\n%s", p.name, p.stopWithin, logs.String())
		}
		if testing.Verbose() {
			t.Logf("%s's log:\n%s", p.name, logs.String())
		}
	}
	t.Cleanup(stop)
	select {
	case url := <-listening:
		return url, stop
	case err := <-exited:
		stopped = true
		t.Fatalf("%s exited before listening: %v\n%s", p.name, err, logs.String())
	case <-time.After(p.listenWithin):
		t.Fatalf("%s did not say where it listens within %v:\n%s", p.name, p.listenWithin, logs.String())
	}
	return "", nil
}

// waitHealthy waits up to 60 s for the API's /health to answer OK: it does
// once its producers have reached the cluster. whose names the API in the
// failure.
func waitHealthy(t *testing.T, url, whose string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := wait.Until(ctx, func() bool {
		resp, err := http.Get(url + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}); err != nil {
		t.Fatalf("%s /health never answered OK: %v", whose, err)
	}
}

// checkSends drives the send contract both tutorials' APIs keep: one sync
// idempotent send, keyed by its eventId and found once in the log at the
// partition and offset it answers, and one async plain send whose status
// turns from PENDING to OK, found once at its offset. It returns the sync
// send's record.
func checkSends(t *testing.T, l *lab.Lab, url, prefix string) *kgo.Record {
	t.Helper()
	syncID := eventID(prefix + "-sync")
	var sent struct {
		Status    string `json:"status"`
		Partition int32  `json:"partition"`
		Offset    int64  `json:"offset"`
	}
	if code := postJSON(t, url+"/api/v1/send?mode=idempotent&sendMode=sync&eventId="+syncID, &sent); code != http.StatusOK || sent.Status != "OK" {
		t.Fatalf("sync send: HTTP %d, status %q", code, sent.Status)
	}
	recs := labtest.Count(t, l, prodlab.DefaultTopic, syncID)
	if len(recs) != 1 {
		t.Fatalf("sync send: %d copies of %s in the log, want 1", len(recs), syncID)
	}
	if recs[0].Partition != sent.Partition || recs[0].Offset != sent.Offset || string(recs[0].Key) != syncID {
		t.Errorf("sync send answered %d/%d; the record is at %d/%d with key %q, want the eventId", sent.Partition, sent.Offset, recs[0].Partition, recs[0].Offset, recs[0].Key)
	}

	asyncID := eventID(prefix + "-async")
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
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := wait.Until(ctx, func() bool {
		resp, err := http.Get(url + "/api/v1/status?requestId=" + accepted.RequestID)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&st) == nil && st.State != "PENDING"
	}); err != nil || st.State != "OK" {
		t.Fatalf("async status: state %q (%v), want OK", st.State, err)
	}
	if recs := labtest.Count(t, l, prodlab.DefaultTopic, asyncID); len(recs) != 1 || recs[0].Offset != st.Offset {
		t.Fatalf("async send: %d copies in the log (status said offset %d), want 1", len(recs), st.Offset)
	}
	return recs[0]
}

// syncBuf is a strings.Builder safe for one writer and concurrent readers.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) WriteString(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(v)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func eventID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

func postJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Post(url, "", nil)
	return decodeJSON(t, "POST "+url, resp, err, v)
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	return decodeJSON(t, "GET "+url, resp, err, v)
}

// decodeJSON decodes the JSON answer to request into v and returns its
// status; it fails t if the request failed or the answer is not JSON.
func decodeJSON(t *testing.T, request string, resp *http.Response, err error, v any) int {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", request, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: HTTP %d, body is not JSON: %v", request, resp.StatusCode, err)
	}
	return resp.StatusCode
}
