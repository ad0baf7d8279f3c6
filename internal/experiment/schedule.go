package experiment

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/wait"
)

// Schedule is one fault pattern: a step, in its own file, repeated after
// a quiet time until the experiment ends.
type Schedule struct {
	name           string // on the command line, such as ack-loss
	msg            string // the catalogue key of its description
	quiet          time.Duration
	step           step
	needsRestarter bool
}

// step injects one fault through f, the i-th of the run (from 0).
type step func(ctx context.Context, f *Faults, i int) error

// schedules lists every schedule, sorted by name.
var schedules = []Schedule{
	{"ack-loss", "exp.sched.ackLoss", time.Second, ackLoss, false},
	{"bandwidth", "exp.sched.bandwidth", time.Second, bandwidth, false},
	{"broker-restart", "exp.sched.brokerRestart", 2 * time.Second, brokerRestart, true},
	{"latency", "exp.sched.latency", time.Second, latency, false},
	{"mixed", "exp.sched.mixed", time.Second, mixed, false},
	{"reset-peer", "exp.sched.resetPeer", 1500 * time.Millisecond, resetPeer, false},
	{"slicer", "exp.sched.slicer", time.Second, slicer, false},
}

// Schedules returns every schedule, sorted by name.
func Schedules() []Schedule { return slices.Clone(schedules) }

// Name is the schedule's name on the command line, such as ack-loss.
func (s Schedule) Name() string { return s.name }

// Describe says in one sentence what the schedule does.
func (s Schedule) Describe() string { return i18n.T(s.msg) }

// NeedsRestarter reports whether the schedule stops and starts brokers,
// which needs a Restarter (WithRestarter).
func (s Schedule) NeedsRestarter() bool { return s.needsRestarter }

// run repeats the step after the quiet time until ctx ends.
func (s Schedule) run(ctx context.Context, f *Faults) error {
	for i := 0; ; i++ {
		if wait.For(ctx, s.quiet) != nil {
			return nil
		}
		if err := s.step(ctx, f, i); err != nil {
			return err
		}
	}
}

func lookup(name string) (Schedule, error) {
	var names []string
	for _, s := range schedules {
		if s.name == name {
			return s, nil
		}
		names = append(names, s.name)
	}
	return Schedule{}, &i18n.Error{Msg: i18n.M("exp.err.schedule", "name", strconv.Quote(name), "names", strings.Join(names, ", ")), Err: ErrUnknownSchedule}
}

// checkRestarter refuses s if it needs to restart brokers and f cannot.
func checkRestarter(s Schedule, f *Faults) error {
	if s.NeedsRestarter() && f.Brokers() == 0 {
		return &i18n.Error{Msg: i18n.M("exp.err.restart", "schedule", s.Name()), Err: ErrCannotRestart}
	}
	return nil
}

// ToxicPrefix starts the name of every toxic an experiment adds.
const ToxicPrefix = "prodlab-experiment-"

// Event is one fault change, at an offset from the experiment's start.
type Event struct {
	At   time.Duration `json:"atNs"`
	What string        `json:"what"`
}

// Faults is what a schedule acts through: the proxies, the restarter, the
// producers' timings and the timeline of what it did.
type Faults struct {
	proxies              func(context.Context) (target.Proxies, error) // target.Conn.Current
	restarter            Restarter
	RequestTimeout, Hold time.Duration // the producers'; target.Target.Hold
	start                time.Time

	mu     sync.Mutex
	active map[string]bool // names, without ToxicPrefix, of toxics on the proxies
	events []Event
}

// maxEvents bounds the timeline.
const maxEvents = 10000

func (f *Faults) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) < maxEvents {
		f.events = append(f.events, Event{At: time.Since(f.start), What: fmt.Sprintf(format, args...)})
	}
}

// AddToxic puts a toxic of type typ on every proxy; name is unique to the
// schedule. Attributes are Toxiproxy's (latency in ms, rate in KB/s...).
func (f *Faults) AddToxic(name, typ, stream string, attrs map[string]any) error {
	ps, err := f.current()
	if err == nil {
		err = ps.AddToxic(ToxicPrefix+name, typ, stream, attrs)
	}
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.active[name] = true
	f.mu.Unlock()
	f.record("+ %s %s %s", typ, stream, attrString(attrs))
	return nil
}

// RemoveToxic removes the toxic name from every proxy. A name whose
// removal failed stays active, so that the run's clean-up tries again.
func (f *Faults) RemoveToxic(name string) error {
	ps, err := f.current()
	if err == nil {
		err = ps.RemoveToxic(ToxicPrefix + name)
	}
	if err != nil {
		f.record("- %s failed: %v", name, err)
		return err
	}
	f.mu.Lock()
	delete(f.active, name)
	f.mu.Unlock()
	f.record("- %s", name)
	return nil
}

// current lists the proxies to fault, within one Toxiproxy call's bound.
func (f *Faults) current() (target.Proxies, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return f.proxies(ctx)
}

// Restart restarts broker i (1-based) through the Restarter.
func (f *Faults) Restart(ctx context.Context, i int) error {
	f.record("broker %d stopping", i)
	if err := f.restarter.Restart(ctx, i); err != nil {
		f.record("broker %d restart failed: %v", i, err)
		return fmt.Errorf("restart broker %d: %w", i, err)
	}
	f.record("broker %d serving again", i)
	return nil
}

// Brokers is how many brokers the Restarter can restart, 0 without one.
func (f *Faults) Brokers() int {
	if f.restarter == nil {
		return 0
	}
	return f.restarter.Brokers()
}

// clear removes every toxic the schedule left, even after ctx ended.
func (f *Faults) clear() error {
	f.mu.Lock()
	names := slices.Collect(maps.Keys(f.active))
	f.mu.Unlock()
	var errs []error
	for _, n := range names {
		errs = append(errs, f.RemoveToxic(n))
	}
	return errors.Join(errs...)
}

func attrString(attrs map[string]any) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, attrs[k]))
	}
	return strings.Join(parts, " ")
}

// toxic is one toxic a schedule puts on every proxy.
type toxic struct {
	name, typ, stream string
	attrs             map[string]any
}

// window keeps toxics on for d, or until ctx ends, then removes them and
// returns the first error. A fault's duration is the experiment's input,
// not a synchronisation.
func window(ctx context.Context, f *Faults, d time.Duration, toxics ...toxic) error {
	for _, t := range toxics {
		if err := f.AddToxic(t.name, t.typ, t.stream, t.attrs); err != nil {
			return err
		}
	}
	_ = wait.For(ctx, d) // Schedule.run sees ctx's end
	var first error
	for _, t := range toxics {
		if err := f.RemoveToxic(t.name); first == nil {
			first = err
		}
	}
	return first
}
