package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/broker"
	"github.com/prodlab/prodlab/internal/direct/directtest"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/wait"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// prodlabBin builds the prodlab binary once for the package's tests.
func prodlabBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "prodlab-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "prodlab")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	// English unless a test asks for French: the tests' strings do not
	// depend on the locale of the machine that runs them, nor do the
	// binaries they start (which inherit LC_ALL).
	os.Setenv("LC_ALL", "C")
	i18n.Set(i18n.EN)
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// upProc is a running 'prodlab up'.
type upProc struct {
	cmd     *exec.Cmd
	log     string // its stderr
	out     string // its stdout
	direct  string
	toxi    string
	console string
	apis    map[string]string
	exited  chan struct{}
	waitErr error
}

// startUp runs 'prodlab up' on free ports with data in dataDir and waits
// for its banner.
func startUp(t *testing.T, dataDir string) *upProc {
	t.Helper()
	if labtest.Local() {
		t.Skip("embedded lab only")
	}
	p := launchUp(t, "--data-dir", dataDir, "--broker-port", "0", "--proxy-port", "0",
		"--toxiproxy-port", "0", "--franz-port", "0", "--librdkafka-port", "0", "--console-port", "-1")
	if p.direct == "" || p.toxi == "" || len(p.apis) != 2 {
		t.Fatalf("banner: direct %q toxiproxy %q apis %v", p.direct, p.toxi, p.apis)
	}
	return p
}

// launchUp runs 'prodlab up' with args, its stderr and stdout in files
// (log, out), and waits for its banner.
func launchUp(t *testing.T, args ...string) *upProc {
	t.Helper()
	dir := t.TempDir()
	p := &upProc{log: filepath.Join(dir, "up.log"), out: filepath.Join(dir, "up.out"), apis: map[string]string{}, exited: make(chan struct{})}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	outf, err := os.Create(p.out)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(prodlabBin(t), append([]string{"up"}, args...)...)
	p.cmd.Stderr = logf
	// Killed with the test binary, even when a timeout panics it.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	pipe, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := io.TeeReader(pipe, outf)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	banner := make(chan error, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case strings.HasPrefix(sc.Text(), "Press Ctrl-C"):
				banner <- nil
				_, _ = io.Copy(io.Discard, stdout)
				return
			case len(f) >= 4 && f[0] == "Kafka":
				p.direct = strings.TrimSuffix(f[3], ",")
			case len(f) == 3 && f[0] == "Toxiproxy" && f[1] == "API":
				p.toxi = f[2]
			case len(f) == 3 && f[0] == "Web" && f[1] == "console":
				p.console = f[2]
			case len(f) == 4 && f[0] == "Producer" && f[1] == "API":
				p.apis[strings.Trim(f[2], "()")] = f[3]
			}
		}
		banner <- errors.New("no banner")
	}()
	go func() {
		p.waitErr = p.cmd.Wait() // it closes the pipe, which ends the reader
		<-read
		logf.Close()
		outf.Close()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			t.Logf("prodlab up's log:\n%s", tail(string(b), 60))
		}
	})
	select {
	case err := <-banner:
		if err != nil {
			t.Fatal(err)
		}
	case <-p.exited:
		b, _ := os.ReadFile(p.log)
		t.Fatalf("prodlab up exited at start: %v\n%s", p.waitErr, tail(string(b), 40))
	case <-time.After(3 * time.Minute):
		t.Fatal("prodlab up printed no banner in 3 minutes")
	}
	return p
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// exitCode waits up to d for the process to exit and returns its status.
func (p *upProc) exitCode(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(d):
		t.Fatalf("prodlab up still running %v after the signal", d)
	}
	var ee *exec.ExitError
	if errors.As(p.waitErr, &ee) {
		return ee.ExitCode()
	}
	if p.waitErr != nil {
		t.Fatal(p.waitErr)
	}
	return 0
}

// waitLog waits until the log holds line.
func (p *upProc) waitLog(t *testing.T, line string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := wait.Until(ctx, func() bool {
		b, _ := os.ReadFile(p.log)
		return bytes.Contains(b, []byte(line))
	}); err != nil {
		t.Fatalf("the log never says %q", line)
	}
}

// toxiproxyChild returns the pid of the Toxiproxy child of p.
func (p *upProc) toxiproxyChild(t *testing.T) int {
	t.Helper()
	pid := p.cmd.Process.Pid
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		t.Skipf("cannot list children: %v", err)
	}
	var kids []int
	for _, f := range strings.Fields(string(b)) {
		n, _ := strconv.Atoi(f)
		kids = append(kids, n)
	}
	// The Go runtime may start the child from another thread.
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, tk := range tasks {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, tk.Name()))
		for _, f := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(f)
			kids = append(kids, n)
		}
	}
	for _, k := range kids {
		env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", k))
		if bytes.Contains(env, []byte("PRODLAB_TOXIPROXY_CHILD=")) {
			return k
		}
	}
	t.Fatalf("no toxiproxy child among %v", kids)
	return 0
}

// warm sends one sync record per API and mode, so that the APIs hold the
// topic's metadata before a toxic holds every answer.
func (p *upProc) warm(t *testing.T) {
	t.Helper()
	for eng, base := range p.apis {
		for _, mode := range []string{"plain", "idempotent"} {
			q := url.Values{"mode": {mode}, "eventId": {"warm-up"}}
			resp, err := upHTTP.Post(base+"/api/v1/send?"+q.Encode(), "", nil)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("warm-up %s %s: %d %s", eng, mode, resp.StatusCode, raw)
			}
		}
	}
}

func addToxic(t *testing.T, toxi, body string) {
	t.Helper()
	resp, err := http.Post(toxi+"/proxies/kafka/toxics", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("add toxic: %d %s", resp.StatusCode, raw)
	}
}

var upHTTP = &http.Client{Timeout: time.Minute}

// asyncLoad sends n async sends through p's APIs, both modes, calling
// after(k) once k were accepted. It returns the accepted eventIds.
func asyncLoad(p *upProc, n int, prefix string, at int, after func()) []string {
	var (
		mu       sync.Mutex
		accepted []string
		next     atomic.Int64
		once     sync.Once
		wg       sync.WaitGroup
	)
	engines := []string{"franz", "librdkafka"}
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				eng := engines[(i+w)%2]
				mode := [2]string{"plain", "idempotent"}[i%2]
				ev := fmt.Sprintf("%s-%s-%s-%05d", prefix, eng, mode, i)
				q := url.Values{"mode": {mode}, "sendMode": {"async"}, "eventId": {ev}}
				resp, err := upHTTP.Post(p.apis[eng]+"/api/v1/send?"+q.Encode(), "", nil)
				if err != nil {
					continue // the server stopped accepting
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					continue
				}
				mu.Lock()
				accepted = append(accepted, ev)
				k := len(accepted)
				mu.Unlock()
				if k == at {
					once.Do(after)
				}
			}
		}()
	}
	wg.Wait()
	return accepted
}

// readLog restarts the broker alone on dataDir and returns every record of
// topic, by eventId.
func readLog(t *testing.T, dataDir, topic string) map[string][]recordAt {
	t.Helper()
	c, err := broker.Start(broker.DataDir(dataDir), broker.Ports(0), broker.Topics(prodlab.DefaultPartitions, prodlab.DefaultTopic))
	if err != nil {
		t.Fatalf("restart the broker on %s: %v", dataDir, err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	recs, err := directtest.Path(t, c.DirectAddrs()...).ReadAll(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]recordAt{}
	for _, r := range recs {
		for _, h := range r.Headers {
			if h.Key == "eventId" {
				out[string(h.Value)] = append(out[string(h.Value)], recordAt{r.Partition, r.Offset})
			}
		}
	}
	return out
}

type recordAt struct {
	partition int32
	offset    int64
}

// TestUpSIGTERMLosesNothing sends 10,000 async sends to a real 'prodlab up'
// and SIGTERMs it in the middle, with and without a timeout toxic holding
// every answer: it exits 0, and every send it accepted is in the log.
func TestUpSIGTERMLosesNothing(t *testing.T) {
	for _, toxic := range []bool{false, true} {
		t.Run(map[bool]string{false: "no toxic", true: "timeout toxic"}[toxic], func(t *testing.T) {
			data := t.TempDir()
			p := startUp(t, data)
			p.warm(t)
			if toxic {
				addToxic(t, p.toxi, `{"name":"hold","type":"timeout","attributes":{"timeout":0}}`)
			}
			sigAt := make(chan time.Time, 1)
			accepted := asyncLoad(p, 10000, "term", 5000, func() {
				sigAt <- time.Now()
				_ = p.cmd.Process.Signal(syscall.SIGTERM)
			})
			var at time.Time
			select {
			case at = <-sigAt:
			default:
				t.Fatalf("only %d sends accepted: no SIGTERM sent", len(accepted))
			}
			code := p.exitCode(t, 3*time.Minute)
			since := time.Since(at).Round(time.Millisecond)
			t.Logf("%d sends accepted; exit %d, %v after SIGTERM", len(accepted), code, since)
			if code != 0 {
				t.Fatalf("exit status %d, want 0", code)
			}
			if len(accepted) < 5000 {
				t.Fatalf("only %d sends accepted", len(accepted))
			}
			log := readLog(t, data, prodlab.DefaultTopic)
			var lost []string
			for _, ev := range accepted {
				if len(log[ev]) == 0 {
					lost = append(lost, ev)
				}
			}
			if len(lost) > 0 {
				t.Fatalf("%d of %d accepted sends are not in the log, such as %v", len(lost), len(accepted), lost[:min(5, len(lost))])
			}
		})
	}
}

// TestUpSIGKILLKeepsAcked SIGKILLs 'prodlab up' during sync sends: a
// restart on the same data dir finds every record whose send answered 200,
// at its partition and offset; the Toxiproxy child dies with its parent.
func TestUpSIGKILLKeepsAcked(t *testing.T) {
	data := t.TempDir()
	p := startUp(t, data)
	child := p.toxiproxyChild(t)
	type ack struct {
		ev string
		at recordAt
	}
	var (
		mu   sync.Mutex
		acks []ack
		wg   sync.WaitGroup
		n    atomic.Int64
		once sync.Once
	)
	stop := make(chan struct{})
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			eng := []string{"franz", "librdkafka"}[w%2]
			mode := [2]string{"plain", "idempotent"}[(w/2)%2]
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ev := fmt.Sprintf("kill-%d-%d", w, i)
				q := url.Values{"mode": {mode}, "eventId": {ev}}
				resp, err := upHTTP.Post(p.apis[eng]+"/api/v1/send?"+q.Encode(), "", nil)
				if err != nil {
					return // killed
				}
				var body struct {
					Partition *int32 `json:"partition"`
					Offset    *int64 `json:"offset"`
				}
				err = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK || body.Partition == nil || body.Offset == nil {
					continue
				}
				mu.Lock()
				acks = append(acks, ack{ev, recordAt{*body.Partition, *body.Offset}})
				mu.Unlock()
				if n.Add(1) == 3000 {
					once.Do(func() { _ = p.cmd.Process.Signal(syscall.SIGKILL) })
				}
			}
		}()
	}
	<-p.exited
	close(stop)
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := wait.Until(ctx, func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		return err != nil || strings.Contains(string(b), ") Z ")
	}); err != nil {
		t.Fatalf("the toxiproxy child %d outlived its SIGKILLed parent", child)
	}
	log := readLog(t, data, prodlab.DefaultTopic)
	bad := 0
	for _, a := range acks {
		found := false
		for _, r := range log[a.ev] {
			found = found || r == a.at
		}
		if !found {
			if bad < 5 {
				t.Errorf("%s answered 200 at %d/%d; the log has it at %v", a.ev, a.at.partition, a.at.offset, log[a.ev])
			}
			bad++
		}
	}
	t.Logf("%d sync sends answered 200 before the SIGKILL; %d missing at their offset after the restart", len(acks), bad)
	if bad > 0 {
		t.Fatalf("%d acknowledged records missing", bad)
	}
}

// TestUpSecondSignalForces stops the Toxiproxy child so that the clean stop
// can neither remove the toxic nor flush, SIGTERMs 'prodlab up' twice, and
// checks that the second signal makes it exit at once, with a status that
// says sends were dropped: every accepted send is either in the log or
// logged as dropped with its eventId.
func TestUpSecondSignalForces(t *testing.T) {
	data := t.TempDir()
	p := startUp(t, data)
	p.warm(t)
	addToxic(t, p.toxi, `{"name":"hold","type":"timeout","attributes":{"timeout":0}}`)
	accepted := asyncLoad(p, 200, "force", -1, nil)
	if len(accepted) != 200 {
		t.Fatalf("%d of 200 accepted", len(accepted))
	}
	child := p.toxiproxyChild(t)
	if err := syscall.Kill(child, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, "shutting down: removing the toxics")
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code := p.exitCode(t, forceGrace+10*time.Second)
	t.Logf("exit %d, %v after the second signal", code, time.Since(start).Round(time.Millisecond))
	b, _ := os.ReadFile(p.log)
	dropped := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, "send dropped at close") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if ev, ok := strings.CutPrefix(f, "eventId="); ok {
				dropped[ev] = true
			}
		}
	}
	log := readLog(t, data, prodlab.DefaultTopic)
	var neither []string
	for _, ev := range accepted {
		if !dropped[ev] && len(log[ev]) == 0 {
			neither = append(neither, ev)
		}
	}
	t.Logf("%d accepted, %d logged as dropped", len(accepted), len(dropped))
	if len(neither) > 0 {
		t.Fatalf("%d accepted sends neither in the log nor logged as dropped, such as %v", len(neither), neither[:min(5, len(neither))])
	}
	if len(dropped) == 0 {
		t.Fatal("nothing dropped: the forced stop did not cut the flush short")
	}
	if code == 0 {
		t.Fatal("exit status 0 after dropping sends")
	}
}
