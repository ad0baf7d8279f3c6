package doctest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/wait"
)

// GuidePath is the lab guide, relative to the repository root.
const GuidePath = "docs/lab/module-02-producer-reliability.md"

// SeedPorts are the fixed ports the guide's commands use: broker, proxy
// "kafka", Toxiproxy API, the two producer APIs and the console.
var SeedPorts = []int{9092, 29093, 8474, 18080, 18081, 8080}

// enabled skips t unless PRODLAB_DOCTEST is set: the guide's commands use the
// seed's fixed ports, so `make doc-test` runs these tests on their own
// rather than next to every package of `go test ./...`.
func enabled(t *testing.T) {
	t.Helper()
	if os.Getenv("PRODLAB_DOCTEST") == "" {
		t.Skip("runs under `make doc-test` (PRODLAB_DOCTEST=1): it needs the seed's fixed ports")
	}
}

// TestGuide runs every bash block of the lab guide in order against a fresh
// embedded lab, in a French locale, and checks each output against its
// "Résultat attendu". Each section (a Lab, each exercise) starts in a new
// shell, as a trainee back from a break would: nothing a block of another
// section defined is carried over.
//
// Where it can (root, unshare and ip), it reruns itself in a private network
// namespace, so a lab already running on the seed's ports does not collide
// with it; otherwise those ports must be free.
func TestGuide(t *testing.T) {
	enabled(t)
	if os.Getenv(netnsEnv) == "" && netnsWorks() {
		rerunInNetns(t, "^TestGuide$")
		return
	}
	root := repoRoot()
	md, err := os.ReadFile(filepath.Join(root, GuidePath))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := Blocks(string(md))
	if err != nil {
		t.Fatalf("%s: %v", GuidePath, err)
	}
	tmp := t.TempDir()
	state := filepath.Join(tmp, "state.sh")
	var (
		lab     *labProc
		ran     int
		shells  int
		section = "\x00"
		skipped = map[string]int{}
		start   = time.Now()
	)
	for _, b := range blocks {
		name := fmt.Sprintf("%s/line_%d", b.Heading, b.Line)
		if b.Section != section {
			// A new section opens a new shell: forget the last one's state.
			section = b.Section
			if err := os.Remove(state); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			shells++
		}
		switch {
		case b.Skip != "":
			skipped[b.Skip]++
			t.Logf("skip %s: %s", name, b.Skip)
			continue
		case b.LabStart, b.LabRestart:
			if !strings.Contains(b.Body, "prodlab up") {
				t.Fatalf("line %d: the lab-start block does not run `prodlab up`", b.Line)
			}
			switch {
			case b.LabStart && lab != nil:
				t.Fatalf("line %d: a second lab-start block", b.Line)
			case b.LabRestart && lab == nil:
				t.Fatalf("line %d: a lab-restart block before the lab-start block", b.Line)
			case b.LabRestart:
				lab.stop(t)
			}
			env, err := upEnv(b.Body)
			if err != nil {
				t.Fatalf("line %d: %v", b.Line, err)
			}
			lab = startLab(t, root, tmp, env...)
			ran++
			for _, e := range b.Expect {
				// The banner's last lines may follow its first by a moment.
				var err error
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_ = wait.Until(ctx, func() bool {
					log, _ := os.ReadFile(lab.log)
					err = Match(e, string(log), b.Exact)
					return err == nil
				})
				cancel()
				if err != nil {
					t.Fatalf("%s line %d: the lab's banner does not match the expected block at line %d: %v\n%s", GuidePath, b.Line, e.Line, err, lab.tail())
				}
			}
			continue
		}
		ok := t.Run(name, func(t *testing.T) { runBlock(t, root, state, b) })
		ran++
		if !ok {
			if lab != nil {
				t.Logf("lab log (last lines):\n%s", lab.tail())
			}
			t.Fatalf("stopped at the first failing block (%s line %d)", GuidePath, b.Line)
		}
	}
	if lab == nil {
		t.Fatalf("%s has no <!-- doctest: lab-start --> block", GuidePath)
	}
	reasons := make([]string, 0, len(skipped))
	total := 0
	for r, n := range skipped {
		reasons = append(reasons, fmt.Sprintf("%d × %s", n, r))
		total += n
	}
	sort.Strings(reasons)
	t.Logf("guide: %d blocks run in %d fresh shells, %d skipped (%s) in %s", ran, shells, total, strings.Join(reasons, "; "), time.Since(start).Round(time.Second))
}

// frenchEnv is the environment of the guide's commands and of its lab: the
// trainee's French locale, whatever the test's own.
func frenchEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k == "LANG" || k == "LANGUAGE" || strings.HasPrefix(k, "LC_") {
			continue
		}
		env = append(env, kv)
	}
	return append(append(env, "LANG=fr_FR.UTF-8"), extra...)
}

// runBlock runs one block with bash in root. Variables and functions a block
// defines are saved to state and loaded by the next block of its section, as
// in one terminal.
func runBlock(t *testing.T, root, state string, b Block) {
	// set -u: a variable the section did not define is an error, not an
	// empty word, so a block that leans on another Lab's shell fails.
	script := `set -eo pipefail
__doctest_base=" $(compgen -v | tr '\n' ' ') "
if [ -f "$__DOCTEST_STATE" ]; then source "$__DOCTEST_STATE"; fi
set -u
` + b.Body + `
set +u
{
  for __v in $(compgen -v); do
    case "$__doctest_base" in *" $__v "*) continue ;; esac
    case "$__v" in __* | BASH* | _ | PIPESTATUS | FUNCNAME | GROUPS | COLUMNS | LINES) continue ;; esac
    __d=$(declare -p "$__v" 2>/dev/null) || continue
    [[ $__d =~ ^declare\ -[a-zA-Z]*r ]] && continue
    printf '%s\n' "$__d"
  done
  declare -f
} >"$__DOCTEST_STATE.new" && mv "$__DOCTEST_STATE.new" "$__DOCTEST_STATE"
`
	ctx, cancel := context.WithTimeout(context.Background(), b.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = root
	cmd.Env = frenchEnv("__DOCTEST_STATE=" + state)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	began := time.Now()
	err := cmd.Run()
	took := time.Since(began)
	t.Logf("ran in %s:\n%s", took.Round(time.Millisecond), Tail(out.Bytes(), 2000))
	if ctx.Err() != nil {
		t.Fatalf("%s line %d: still running after %s", GuidePath, b.Line, b.Timeout)
	}
	if err != nil {
		t.Fatalf("%s line %d: the block failed (%v):\n%s\n--- output ---\n%s", GuidePath, b.Line, err, b.Body, Tail(out.Bytes(), 3000))
	}
	if took < b.MinElapsed {
		t.Errorf("%s line %d: took %s, the guide says at least %s", GuidePath, b.Line, took, b.MinElapsed)
	}
	for _, e := range b.Expect {
		if err := Match(e, out.String(), b.Exact); err != nil {
			t.Errorf("%s line %d: output does not match the expected block at line %d: %v\n--- output ---\n%s", GuidePath, b.Line, e.Line, err, Tail(out.Bytes(), 3000))
		}
	}
}

// netnsEnv marks a test process already running in its own network namespace.
const netnsEnv = "PRODLAB_DOCTEST_NETNS"

// netnsShell brings loopback up in the new namespace, then runs the test.
const netnsShell = `ip link set lo up && exec "$@"`

// netnsWorks reports whether this process may create a network namespace.
func netnsWorks() bool {
	if os.Getenv("PRODLAB_DOCTEST_NETNS_OFF") != "" {
		return false
	}
	return exec.Command("unshare", "--net", "--", "sh", "-c", netnsShell, "sh", "true").Run() == nil
}

// rerunInNetns runs the test binary's test run again inside a fresh network
// namespace and fails t if it fails. Its output goes to stdout as it comes.
func rerunInNetns(t *testing.T, run string) {
	t.Helper()
	args := []string{"--net", "--", "sh", "-c", netnsShell, "sh", os.Args[0], "-test.run=" + run, "-test.count=1", "-test.timeout=20m"}
	if testing.Verbose() {
		args = append(args, "-test.v")
	}
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	t.Logf("running the guide in a private network namespace (unshare --net)")
	if err := cmd.Run(); err != nil {
		t.Fatalf("the guide failed in its network namespace: %v (output above)", err)
	}
}

// labProc is the `prodlab up` the guide's commands talk to.
type labProc struct {
	cmd    *exec.Cmd
	log    string
	exited chan error
}

// stop stops the lab with SIGINT (Ctrl-C), as a trainee does before
// starting it again, and fails t unless it exits cleanly.
func (l *labProc) stop(t *testing.T) {
	t.Helper()
	_ = l.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-l.exited:
		l.exited <- err // for the cleanup
		if err != nil {
			t.Fatalf("prodlab up did not stop cleanly on Ctrl-C: %v\n%s", err, l.tail())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("prodlab up still running 60s after Ctrl-C:\n%s", l.tail())
	}
}

// upEnv returns the VAR=value words that prefix the block's `prodlab up`
// line, such as KAFKA_REQUEST_TIMEOUT_MS=3000.
func upEnv(body string) ([]string, error) {
	for _, line := range strings.Split(body, "\n") {
		if !strings.Contains(line, "prodlab up") {
			continue
		}
		var env []string
		for _, w := range strings.Fields(line) {
			k, _, ok := strings.Cut(w, "=")
			if !ok || k == "" || strings.ToUpper(k) != k {
				break
			}
			env = append(env, w)
		}
		return env, nil
	}
	return nil, fmt.Errorf("no `prodlab up` line")
}

func (l *labProc) tail() string {
	b, _ := os.ReadFile(l.log)
	return Tail(b, 3000)
}

// bannerMark is in the banner `prodlab up` prints once it is ready, whatever
// its language: the librdkafka API's address.
const bannerMark = "http://127.0.0.1:18081"

// startLab builds prodlab once and runs `prodlab up` on the seed's ports with
// its data in tmp and env added to its environment, stopped with SIGINT
// (Ctrl-C) when t ends.
func startLab(t *testing.T, root, tmp string, env ...string) *labProc {
	t.Helper()
	for _, p := range SeedPorts {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), 300*time.Millisecond)
		if err == nil {
			c.Close()
			t.Fatalf("port %d is busy: the guide's commands use the seed's ports %v; stop whatever listens there (a running `prodlab up`, scripts/up.sh, scripts/kafka-local.sh) and run again", p, SeedPorts)
		}
	}
	bin := filepath.Join(tmp, "prodlab")
	if _, err := os.Stat(bin); err != nil {
		build := exec.Command("go", "build", "-o", bin, "./cmd/prodlab")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/prodlab: %v\n%s", err, out)
		}
	}
	l := &labProc{log: filepath.Join(tmp, "lab.log")}
	before, _ := os.ReadFile(l.log) // a restarted lab appends its log
	logf, err := os.OpenFile(l.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	l.cmd = exec.Command(bin, "up", "--data-dir", filepath.Join(tmp, "data"))
	l.cmd.Dir = root
	l.cmd.Env = frenchEnv(env...)
	l.cmd.Stdout, l.cmd.Stderr = logf, logf
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	l.exited = exited
	go func() { exited <- l.cmd.Wait(); logf.Close() }()
	t.Cleanup(func() {
		_ = l.cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("prodlab up did not stop cleanly on Ctrl-C: %v\n%s", err, l.tail())
			}
		case <-time.After(30 * time.Second):
			_ = l.cmd.Process.Kill()
			<-exited
			t.Errorf("prodlab up still running 30s after Ctrl-C; killed")
		}
	})
	deadline := time.After(2 * time.Minute)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("prodlab up exited before it was ready (%v):\n%s", err, l.tail())
		case <-deadline:
			t.Fatalf("prodlab up not ready after 2m:\n%s", l.tail())
		case <-tick.C:
			// The banner, in any language, ends with the last API's address.
			if b, _ := os.ReadFile(l.log); len(b) >= len(before) && bytes.Contains(b[len(before):], []byte(bannerMark)) {
				return l
			}
		}
	}
}
