package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/wait"
)

// Peer is a producer API that RunProcs runs in its own process. Name
// labels its column; Command runs it in the foreground (sh execs it), with
// {addr} ({port}) replaced by the loopback address (port) it must listen
// on, {bootstrap} by the lab's proxies and {pprof} by a free address for
// net/http/pprof; SERVER_PORT and KAFKA_BOOTSTRAP_SERVERS are set too.
type Peer struct {
	Name, Command string
}

// ParsePeer parses name=command.
func ParsePeer(s string) (Peer, error) {
	name, cmd, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" || strings.TrimSpace(cmd) == "" {
		return Peer{}, fmt.Errorf("peer %q: want name=command", s)
	}
	return Peer{Name: strings.TrimSpace(name), Command: cmd}, nil
}

// GoPeer is the peer that runs exe's 'api --engine name'.
func GoPeer(exe, name string) Peer {
	return Peer{Name: name, Command: fmt.Sprintf("%q api --engine %s --listen {addr} --pprof {pprof}", exe, name)}
}

// ProcsReport holds every figure of one RunProcs.
type ProcsReport struct {
	Machine Machine
	Peers   []string
	// Cells maps send mode then peer to one Result per repetition, whose
	// CPU is the peer process's own; RSS is each peer's after the run.
	Cells map[prodlab.SendMode]map[string][]Result
	RSS   map[string]uint64
	cfg   cfg // the run's settings
}

// RunProcs starts one embedded lab and each peer in its own process on
// the lab's proxies, warms each one, then measures sync and async cells,
// the peers interleaved in each repetition, from this process.
func RunProcs(ctx context.Context, opts ...Opt) (_ *ProcsReport, err error) {
	c, err := newCfg(opts, 30*time.Second, 15*time.Second)
	if err == nil && len(c.peers) == 0 {
		err = errors.New("no peer to measure")
	}
	if err != nil {
		return nil, err
	}
	if _, err := procStat(os.Getpid()); err != nil {
		return nil, fmt.Errorf("per-process CPU: %w", err)
	}
	if c.profileDir != "" {
		// Now, not after the warm-up: a bad directory fails in a second.
		if err := os.MkdirAll(c.profileDir, 0o755); err != nil {
			return nil, fmt.Errorf("profile directory: %w", err)
		}
	}
	b, err := openLab(ctx, lab.EphemeralConfig(), nil)
	if err != nil {
		return nil, err
	}
	defer b.close()
	rep := &ProcsReport{Machine: machine(), Cells: map[prodlab.SendMode]map[string][]Result{prodlab.Sync: {}, prodlab.Async: {}},
		RSS: map[string]uint64{}, cfg: c}
	var procs []*proc
	defer func() {
		for _, p := range procs {
			p.stop()
			if err == nil { // a failed run keeps the logs it named
				os.Remove(p.log)
			}
		}
	}()
	for _, pe := range c.peers {
		p, err := startPeer(ctx, &c, pe, strings.Join(b.ProxyAddrs(), ","), b.topic)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", pe.Name, err)
		}
		procs = append(procs, p)
		rep.Peers = append(rep.Peers, pe.Name)
	}
	hc := httpClient(c.conns)
	defer hc.CloseIdleConnections()
	for _, p := range procs {
		fmt.Fprintf(c.progress, "%s: warming up %v\n", p.name, c.warmup)
		load(ctx, c.conns, maxSamples, forDuration(c.warmup), c.apiSend(hc, p.url, p.topic, prodlab.Sync, "warm-"+p.name))
		if err := p.quiesce(ctx); err != nil {
			return rep, err
		}
	}
	for r := range c.reps {
		for _, cell := range []prodlab.SendMode{prodlab.Sync, prodlab.Async} {
			for i := range procs {
				p := procs[(i+r)%len(procs)] // rotate who goes first
				pc, err := p.measure(ctx, hc, &c, cell, r)
				if err != nil {
					return rep, fmt.Errorf("%s %s: %w", p.name, cell, err)
				}
				rep.Cells[cell][p.name] = append(rep.Cells[cell][p.name], pc)
				fmt.Fprintf(c.progress, "rep %d %s %s: %.0f/s p50 %v p99 %v cpu %v/req (%d errors)\n",
					r+1, cell, p.name, pc.Rate, pc.P50, pc.P99, pc.CPUPerSend(), pc.Errors)
				if pc.FirstErr != nil {
					fmt.Fprintf(c.progress, "  first error: %v\n", pc.FirstErr)
				}
			}
		}
	}
	for _, p := range procs {
		if rss, _, err := procMemory(p.cmd.Process.Pid); err == nil {
			rep.RSS[p.name] = rss
		}
	}
	rep.Machine.LoadEnd = loadavg()
	return rep, ctx.Err()
}

// proc is one running peer.
type proc struct {
	name, url, pprof, topic string
	log                     string // the file holding its output
	cmd                     *exec.Cmd
	exited                  chan struct{}
	stop                    func() // interrupts the peer, as Ctrl-C would, and waits for it
}

func startPeer(ctx context.Context, c *cfg, pe Peer, bootstrap, topic string) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	p := &proc{name: pe.Name, url: "http://" + addr, topic: topic, exited: make(chan struct{})}
	cmdline := pe.Command
	if strings.Contains(cmdline, "{pprof}") {
		if p.pprof, err = freeAddr(); err != nil {
			return nil, err
		}
	}
	cmdline = strings.NewReplacer("{addr}", addr, "{port}", port, "{bootstrap}", bootstrap, "{pprof}", p.pprof).Replace(cmdline)
	if c.serverCPUs != "" {
		cmdline = "taskset -c " + c.serverCPUs + " " + cmdline
	}
	life, stop := context.WithCancel(context.Background())
	p.cmd = exec.CommandContext(life, "sh", "-c", "exec "+cmdline)
	p.cmd.Cancel = func() error { return p.cmd.Process.Signal(os.Interrupt) }
	p.cmd.WaitDelay = 30 * time.Second // then Wait kills it
	p.stop = func() { stop(); <-p.exited }
	p.cmd.Env = append(os.Environ(), "SERVER_PORT="+port, "KAFKA_BOOTSTRAP_SERVERS="+bootstrap)
	log, err := os.CreateTemp("", "prodlab-bench-"+pe.Name+"-*.log")
	if err != nil {
		return nil, err
	}
	p.cmd.Stdout, p.cmd.Stderr, p.log = log, log, log.Name()
	if err := p.cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	go func() { p.cmd.Wait(); log.Close(); close(p.exited) }()
	fmt.Fprintf(c.progress, "%s: pid %d on %s, log %s\n", pe.Name, p.cmd.Process.Pid, addr, log.Name())
	cl, err := api.NewClient(p.url)
	if err != nil {
		p.stop()
		return nil, err
	}
	readyCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	err = wait.Until(readyCtx, func() bool {
		select {
		case <-p.exited:
			cancel()
			return false
		default:
		}
		try, cancel := context.WithTimeout(readyCtx, time.Second)
		defer cancel()
		return cl.Health(try) == nil
	})
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("not healthy (see %s): %w", log.Name(), err)
	}
	return p, nil
}

// measure runs one cell of sends in mode sm against p and reads p's own
// CPU time around it.
func (p *proc) measure(ctx context.Context, hc *http.Client, c *cfg, sm prodlab.SendMode, r int) (Result, error) {
	cell := string(sm)
	var profiled chan error
	if c.profileDir != "" && p.pprof != "" && r == 0 {
		profiled = make(chan error, 1)
		secs := max(1, int(c.duration.Seconds())-1)
		go func() {
			profiled <- fetch(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", p.pprof, secs),
				filepath.Join(c.profileDir, p.name+"-"+cell+"-cpu.pprof"))
		}()
	}
	cpu0, err := procStat(p.cmd.Process.Pid)
	if err != nil {
		return Result{}, err
	}
	res := load(ctx, c.conns, maxSamples, forDuration(c.duration), c.apiSend(hc, p.url, p.topic, sm, cell+strconv.Itoa(r)+"-"+p.name))
	cpu1, err := procStat(p.cmd.Process.Pid)
	if err != nil {
		return Result{}, err
	}
	res.CPU = cpu1 - cpu0
	if profiled != nil {
		if err := <-profiled; err != nil {
			return Result{}, err
		}
		if err := fetch(ctx, "http://"+p.pprof+"/debug/pprof/allocs", filepath.Join(c.profileDir, p.name+"-"+cell+"-allocs.pprof")); err != nil {
			return Result{}, err
		}
	}
	return res, p.quiesce(ctx)
}

// quiesce waits, at most 30s, until p uses less than a tenth of a core,
// so that async sends still producing do not count in the next cell.
func (p *proc) quiesce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	last, err := procStat(p.cmd.Process.Pid)
	if err != nil {
		return err
	}
	at := time.Now()
	err = wait.Until(ctx, func() bool {
		if time.Since(at) < 250*time.Millisecond {
			return false
		}
		now, _ := procStat(p.cmd.Process.Pid)
		idle := now-last < time.Since(at)/10
		last, at = now, time.Now()
		return idle
	})
	if errors.Is(err, context.DeadlineExceeded) {
		return nil // busy on its own (GC, timers): measure anyway
	}
	return err
}

// fetch GETs url into the file path.
func fetch(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err != nil {
		return err
	}
	return os.WriteFile(path, body, 0o666)
}

// freeAddr returns a loopback address no one listens on right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
