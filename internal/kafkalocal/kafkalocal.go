// Package kafkalocal runs real Apache Kafka without Docker: the pinned jars
// from Maven Central, and one (single-node) or three (cluster) KRaft
// broker+controller JVMs laid out by Layout.
package kafkalocal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/wait"
)

// BrokerStatus is the observed state of one broker: its JVM's pid (0 if
// not running) and whether it answers Metadata on DIRECT.
type BrokerStatus struct {
	Broker
	PID                int
	Running, Answering bool
}

// Cluster is the observed state of the local brokers: the mode (empty when
// nothing runs), the Kafka version, the mode's run directory and brokers.
type Cluster struct {
	Mode, Version, Dir string
	Brokers            []BrokerStatus
}

// Running reports whether at least one broker runs.
func (c *Cluster) Running() bool {
	return slices.ContainsFunc(c.Brokers, func(b BrokerStatus) bool { return b.Running })
}

// Up starts the brokers of mode, fetching the jars if needed, and waits
// until they are ready: each answers Metadata on DIRECT and sees all
// brokers, each PROXIED listener is bound, and prodlab.DefaultTopic exists
// (created if missing) with a leader and a full ISR on every partition.
// Running brokers of mode are reused; with none, storage is formatted
// fresh unless KeepData. Up fails if brokers of the other mode run.
func Up(ctx context.Context, mode string, opts ...Opt) (*Cluster, error) {
	brokers, err := Layout(mode)
	if err != nil {
		return nil, err
	}
	c, unlock, err := locked(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer unlock()
	for _, other := range modes {
		if other != mode && anyRunning(c, other) {
			return nil, fmt.Errorf("kafkalocal: %s brokers are running; stop them first (prodlab kafka down)", other)
		}
	}
	toStart := slices.DeleteFunc(slices.Clone(brokers), func(b Broker) bool { return runningPID(filesOf(c, mode, b.NodeID)) != 0 })
	if len(toStart) == len(brokers) && !c.keepData {
		if err := os.RemoveAll(c.modeDir(mode)); err != nil {
			return nil, err
		}
	}
	if err := prepare(ctx, c, mode, brokers, toStart); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(c.currentFile(), []byte(mode+"\n")); err != nil {
		return nil, err
	}
	var started []brokerFiles
	defer func() {
		if started != nil { // not ready: stop what was started
			ctx, cancel := context.WithTimeout(context.Background(), c.stopTimeout+15*time.Second)
			defer cancel()
			_ = stopAll(ctx, c, started, false)
		}
	}()
	for _, b := range toStart {
		f := filesOf(c, mode, b.NodeID)
		pid, err := startWith(c, f, detached)
		if err != nil {
			return nil, err
		}
		started = append(started, f)
		fmt.Fprintln(c.out, i18n.T("kafkalocal.started", "id", b.NodeID, "pid", pid, "logs", f.logs))
	}
	fmt.Fprintln(c.out, i18n.T("kafkalocal.waiting", "mode", mode))
	if err := ready(ctx, c, mode, brokers, true); err != nil {
		return nil, err
	}
	started = nil
	return status(c, mode), nil
}

// ready waits, within the ready timeout, until each broker of bs passes
// checkBroker with len(bs) brokers and has its PROXIED listener bound and,
// with topic, until the training topic is ready (ensureTopic); it fails as
// soon as one of bs dies.
func ready(ctx context.Context, c cfg, mode string, bs []Broker, topic bool) error {
	ctx, cancel := context.WithTimeout(ctx, c.readyTimeout)
	defer cancel()
	alive := func() error {
		for _, b := range bs {
			if err := exited(filesOf(c, mode, b.NodeID)); err != nil {
				return err
			}
		}
		return nil
	}
	err := waitFor(ctx, "brokers", alive, func(ctx context.Context) error {
		for _, b := range bs {
			if err := checkBroker(ctx, b, len(bs)); err != nil {
				return err
			}
			if err := dialOnce(b.Proxied.BindAddr()); err != nil {
				return fmt.Errorf("broker %d PROXIED listener: %w", b.NodeID, err)
			}
		}
		return nil
	})
	if err != nil || !topic {
		return err
	}
	spec, _ := Topic(mode) // mode is a Layout's
	boot, _ := DirectBootstrap(mode)
	return ensureTopic(ctx, spec, alive, strings.Split(boot, ",")...)
}

// prepare fetches the jars, checks that the ports of toStart are free,
// writes their config files and formats their storage if it is not.
func prepare(ctx context.Context, c cfg, mode string, all, toStart []Broker) error {
	if _, err := fetch(ctx, c); err != nil {
		return err
	}
	if err := checkPorts(ctx, toStart); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(toStart))
	for k, b := range toStart {
		f := filesOf(c, mode, b.NodeID)
		if err := writeBrokerFiles(f, fmt.Sprintf(" for %s broker %d; do not edit.", mode, b.NodeID), ServerSettings(b, all)); err != nil {
			return err
		}
		wg.Go(func() {
			errs[k] = formatWith(ctx, c, f)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// checkPorts waits up to 20 seconds (a closing broker may still hold them)
// until every port of bs is free, else fails naming the taken ones.
func checkPorts(ctx context.Context, bs []Broker) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var taken error
	_ = wait.Until(ctx, func() bool {
		var errs []error
		for _, b := range bs {
			for _, l := range b.Listeners() {
				ln, err := net.Listen("tcp", l.BindAddr())
				if err != nil {
					errs = append(errs, fmt.Errorf("broker %d %s listener %s is taken: %w", b.NodeID, l.Name, l.BindAddr(), err))
					continue
				}
				ln.Close()
			}
		}
		taken = errors.Join(errs...)
		return taken == nil
	})
	if taken == nil {
		return nil
	}
	return fmt.Errorf("kafkalocal: %w\n(is another Kafka or `prodlab up` running? `scripts/kafka-local.sh down` stops the jar brokers)", taken)
}

// exited fails, quoting the end of its logs, if broker f does not run.
func exited(f brokerFiles) error {
	if runningPID(f) != 0 {
		return nil
	}
	return fmt.Errorf("kafkalocal: the broker of %s exited; end of %s:\n%s\nend of %s:\n%s",
		f.dir, f.serverLog(), tailFile(f.serverLog(), 25), f.stdout, tailFile(f.stdout, 15))
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return tail(string(b), n)
}

// modes are the modes; one runs at a time.
var modes = []string{ModeSingleNode, ModeCluster}

// modeFiles returns the files of every broker of mode.
func modeFiles(c cfg, mode string) []brokerFiles {
	n, _ := BrokerCount(mode)
	fs := make([]brokerFiles, n)
	for i := range fs {
		fs[i] = filesOf(c, mode, i+1)
	}
	return fs
}

// anyRunning reports whether a broker of mode runs.
func anyRunning(c cfg, mode string) bool {
	return slices.ContainsFunc(modeFiles(c, mode), func(f brokerFiles) bool { return runningPID(f) != 0 })
}

// stopAll stops fs in parallel, printing each one stopped if report.
func stopAll(ctx context.Context, c cfg, fs []brokerFiles, report bool) error {
	var wg sync.WaitGroup
	errs := make([]error, len(fs))
	for k, f := range fs {
		wg.Go(func() {
			pid := runningPID(f)
			errs[k] = stopProcess(ctx, f, syscall.SIGTERM, c.stopTimeout)
			if errs[k] == nil && pid != 0 && report {
				fmt.Fprintln(c.out, i18n.T("kafkalocal.stopped", "mode", f.mode, "id", f.id, "pid", pid))
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Down stops every local broker of either mode (SIGTERM to its process
// group, SIGKILL after the stop timeout) and returns once the JVMs are
// gone. Broker files and logs stay.
func Down(ctx context.Context, opts ...Opt) error {
	c, unlock, err := locked(ctx, opts)
	if err != nil {
		return err
	}
	defer unlock()
	if err := stopAll(ctx, c, slices.Concat(modeFiles(c, ModeSingleNode), modeFiles(c, ModeCluster)), true); err != nil {
		return err
	}
	_ = os.Remove(c.currentFile())
	return nil
}

// Status reports the brokers of the mode that runs, else of the mode last
// brought up; an empty Mode means none was.
func Status(ctx context.Context, opts ...Opt) (*Cluster, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if mode := currentMode(c); mode != "" {
		return status(c, mode), ctx.Err()
	}
	return &Cluster{Version: c.version}, nil
}

// currentMode returns the mode whose brokers run, else the mode last
// brought up, else "".
func currentMode(c cfg) string {
	for _, m := range modes {
		if anyRunning(c, m) {
			return m
		}
	}
	b, _ := os.ReadFile(c.currentFile())
	m := strings.TrimSpace(string(b))
	if _, err := BrokerCount(m); err != nil {
		return ""
	}
	return m
}

func status(c cfg, mode string) *Cluster {
	brokers, _ := Layout(mode)
	st := &Cluster{Mode: mode, Version: c.version, Dir: c.modeDir(mode)}
	for _, b := range brokers {
		bs := BrokerStatus{Broker: b, PID: runningPID(filesOf(c, mode, b.NodeID))}
		bs.Running = bs.PID != 0
		bs.Answering = bs.Running && checkBroker(context.Background(), b, 1) == nil
		st.Brokers = append(st.Brokers, bs)
	}
	return st
}

// KillBroker kills broker i (1-based) of the running mode with SIGKILL, as
// a crash would, and returns once its JVM is gone.
func KillBroker(ctx context.Context, i int, opts ...Opt) error {
	c, err := newConfig(opts)
	if err != nil {
		return err
	}
	f, err := brokerOf(c, i)
	if err != nil {
		return err
	}
	if runningPID(f) == 0 {
		return i18n.Errorf("kafkalocal.notRunning", "mode", f.mode, "id", i)
	}
	if err := stopProcess(ctx, f, syscall.SIGKILL, 10*time.Second); err != nil {
		return err
	}
	fmt.Fprintln(c.out, i18n.T("kafkalocal.killed", "mode", f.mode, "id", i))
	return nil
}

// StartBroker starts broker i (1-based) of the current mode again on its
// data, unless it runs, and waits until it answers on DIRECT and is
// registered (WaitReady also waits for full ISRs).
func StartBroker(ctx context.Context, i int, opts ...Opt) error {
	c, unlock, err := locked(ctx, opts)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := brokerOf(c, i)
	if err != nil {
		return err
	}
	mode := f.mode
	brokers, _ := Layout(mode)
	b := brokers[i-1]
	if runningPID(f) == 0 {
		if err := prepare(ctx, c, mode, brokers, []Broker{b}); err != nil {
			return err
		}
		pid, err := startWith(c, f, detached)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.out, i18n.T("kafkalocal.restarted", "mode", mode, "id", i, "pid", pid))
	}
	return ready(ctx, c, mode, []Broker{b}, false)
}

// WaitReady waits until the current mode's brokers are ready as in Up.
func WaitReady(ctx context.Context, opts ...Opt) error {
	c, err := newConfig(opts)
	if err != nil {
		return err
	}
	mode := currentMode(c)
	if mode == "" {
		return i18n.Errorf("kafkalocal.notUp")
	}
	brokers, _ := Layout(mode)
	return ready(ctx, c, mode, brokers, true)
}

// brokerOf returns the files of broker i of the current mode, which must
// have been started once.
func brokerOf(c cfg, i int) (brokerFiles, error) {
	mode := currentMode(c)
	if mode == "" {
		return brokerFiles{}, i18n.Errorf("kafkalocal.notUp")
	}
	n, _ := BrokerCount(mode)
	if i < 1 || i > n {
		return brokerFiles{}, i18n.Errorf("kafkalocal.noBroker", "id", i, "mode", mode, "n", n)
	}
	f := filesOf(c, mode, i)
	if _, err := os.Stat(f.props); err != nil {
		return brokerFiles{}, &i18n.Error{Msg: i18n.M("kafkalocal.neverStarted", "mode", mode, "id", i), Err: err}
	}
	return f, nil
}
