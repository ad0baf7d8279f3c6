package doctest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/target/targettest"
	"github.com/prodlab/prodlab/internal/validate"
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
	root := repoRoot(t)
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
		t.Fatalf("the tutorial's /health never answered OK: %v", err)
	}

	// One sync idempotent send: the answer's partition and offset are the
	// record's, and the log holds it once.
	syncID := eventID("tuto-sync")
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
	if recs[0].Partition != sent.Partition || recs[0].Offset != sent.Offset {
		t.Errorf("sync send answered partition %d offset %d; the record is at %d/%d", sent.Partition, sent.Offset, recs[0].Partition, recs[0].Offset)
	}
	if string(recs[0].Key) != syncID {
		t.Errorf("record key %q, want the eventId %q", recs[0].Key, syncID)
	}

	// One async plain send: PENDING, then OK through the callback.
	asyncID := eventID("tuto-async")
	var accepted struct {
		Status    string `json:"status"`
		RequestID string `json:"requestId"`
	}
	if code := postJSON(t, url+"/api/v1/send?mode=plain&sendMode=async&eventId="+asyncID, &accepted); code != http.StatusAccepted || accepted.RequestID == "" {
		t.Fatalf("async send: HTTP %d, requestId %q", code, accepted.RequestID)
	}
	var st struct {
		State     string `json:"state"`
		Partition int32  `json:"partition"`
		Offset    int64  `json:"offset"`
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
	if recs := labtest.Count(t, l, prodlab.DefaultTopic, asyncID); len(recs) != 1 || recs[0].Offset != st.Offset {
		t.Fatalf("async send: %d copies in the log (status said offset %d), want 1", len(recs), st.Offset)
	}

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
	tg := targettest.Of(t, l, prodlab.DefaultTopic, target.APIs(validate.API{Name: "go", URL: url}))
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
// its URL, read from its log, and a func that stops it with SIGINT and checks
// the graceful shutdown.
func startTutorial(t *testing.T, bin, bootstrap string) (string, func()) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "BOOTSTRAP="+bootstrap, "ADDR=127.0.0.1:0")
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
	exited := make(chan error, 1)
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(os.Interrupt)
		go func() { <-logDone; exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("the tutorial's program exited with %v after Ctrl-C:\n%s", err, logs.String())
			} else if !strings.Contains(logs.String(), "arrêté") {
				t.Errorf("the tutorial's program did not log its graceful shutdown:\n%s", logs.String())
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("the tutorial's program still runs 30s after Ctrl-C:\n%s", logs.String())
		}
	}
	t.Cleanup(stop)
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ln, ok := <-lines:
			if !ok {
				t.Fatalf("the tutorial's program exited before listening:\n%s", logs.String())
			}
			if _, rest, found := strings.Cut(ln, "API à l'écoute sur "); found {
				return strings.Fields(rest)[0], stop
			}
		case <-deadline:
			t.Fatalf("the tutorial's program did not say where it listens:\n%s", logs.String())
		}
	}
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
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("POST %s: HTTP %d, body is not JSON: %v", url, resp.StatusCode, err)
	}
	return resp.StatusCode
}
