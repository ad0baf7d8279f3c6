package experiment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/chart"
	"github.com/prodlab/prodlab/internal/experiment"
	"github.com/prodlab/prodlab/internal/experiment/htmlreport"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/target/targettest"
	"github.com/prodlab/prodlab/internal/wait"
)

// newExperiment returns an experiment with opts on tg.
func newExperiment(t *testing.T, tg *target.Target, opts ...experiment.Opt) *experiment.Experiment {
	t.Helper()
	e, err := experiment.New(tg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// n is the sends per row of the short runs: 2 s at 30/s, the first window
// opens after 1 s.
const n = 60

// runShort runs a short ack-loss experiment (n sends per row, 4 keys,
// 30/s) against tg on l, logs its table and returns it. It checks what
// ack-loss must show on every row: each of the n sends sent and answered;
// idempotent rows lose, duplicate and reorder nothing; plain rows
// duplicate. And no toxic is left behind.
func runShort(t *testing.T, l *lab.Lab, tg *target.Target, progress func(done, total int)) (experiment.Report, string) {
	t.Helper()
	e := newExperiment(t, tg, experiment.N(n), experiment.Keys(4), experiment.Rate(30))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := e.Run(ctx, progress)
	if err != nil {
		t.Fatal(err)
	}
	var tab strings.Builder
	_ = rep.WriteTable(&tab)
	t.Log("\n" + tab.String())
	for _, r := range rep.Rows {
		if r.Sent != n || r.Acked+r.Failed+r.Indeterminate != r.Sent {
			t.Errorf("%s: sent %d = acked %d + failed %d + indeterminate %d, want %d sent", r.Name(), r.Sent, r.Acked, r.Failed, r.Indeterminate, n)
		}
		switch r.Mode {
		case prodlab.Idempotent:
			if r.Lost != 0 || r.Duplicated != 0 || r.OrderViolations != 0 || r.Acked != n {
				t.Errorf("%s: %+v, want every send acked once, in order", r.Name(), r)
			}
		case prodlab.Plain:
			if r.Duplicated < 1 || r.Extra < r.Duplicated {
				t.Errorf("%s: %d duplicated, %d extra: the lost acknowledgements were not retried into duplicates", r.Name(), r.Duplicated, r.Extra)
			}
		}
	}
	targettest.NoToxics(t, l)
	return rep, tab.String()
}

// TestAckLoss runs a small experiment under ack-loss on every engine:
// idempotent rows lose, duplicate and reorder nothing; plain rows
// duplicate.
func TestAckLoss(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 3, nil)
	calls, last := 0, 0
	rep, _ := runShort(t, l, targettest.Of(t, l, topic), func(done, total int) {
		calls++
		if done != last+1 || total != n*2*len(l.APIs()) {
			t.Errorf("progress(%d, %d) after %d", done, total, last)
		}
		last = done
	})
	if calls != n*len(rep.Rows) {
		t.Errorf("progress called %d times, want %d", calls, n*len(rep.Rows))
	}
	if len(rep.Rows) != 2*len(l.APIs()) {
		t.Fatalf("%d rows, want %d", len(rep.Rows), 2*len(l.APIs()))
	}
	if len(rep.Events) < 2 || !strings.HasPrefix(rep.Events[0].What, "+ latency") {
		t.Errorf("events = %+v: the schedule never put its toxic on", rep.Events)
	}
	total := 0
	for _, r := range rep.Rows {
		total += r.Copies["acked"][1]
		if r.Mode == prodlab.Plain {
			total += 2 * r.Copies["acked"][2]
		}
	}
	// Cross-check against an independent read of the whole topic.
	inLog := 0
	for _, rec := range labtest.Records(t, l, topic) {
		for _, h := range rec.Headers {
			if h.Key == prodlab.HeaderEventID && strings.HasPrefix(string(h.Value), rep.RunID+".") && !strings.HasSuffix(string(h.Value), "warm-up") {
				inLog++
			}
		}
	}
	if inLog < total {
		t.Errorf("the topic holds %d records of the run, the report accounts for at least %d", inLog, total)
	}

	var js, page bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back experiment.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Rows) != len(rep.Rows) || back.Rows[0].Sent != n {
		t.Fatalf("JSON round trip: %v, %+v", err, back.Rows)
	}
	if err := htmlreport.Write(&page, rep); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	for _, want := range []string{chart.Library, chart.Outcomes, "drawOutcomes(document.getElementById('outcomes'), rep, 'en')", rep.RunID} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML report lacks %.80q", want)
		}
	}
	// The page's data is the report's own JSON.
	_, data, _ := strings.Cut(html, "const rep = ")
	data, _, _ = strings.Cut(data, ";\ndrawOutcomes")
	var inPage experiment.Report
	if err := json.Unmarshal([]byte(data), &inPage); err != nil || !reflect.DeepEqual(inPage.Rows, back.Rows) {
		t.Errorf("the page's report data differs from its JSON: %v", err)
	}
	if strings.Contains(html, `src="http`) {
		t.Errorf("HTML report loads a script from the network")
	}
}

// TestBrokerRestartNeedsRestarter refuses broker-restart without a way to
// restart brokers, before sending anything.
func TestBrokerRestartNeedsRestarter(t *testing.T) {
	l := labtest.Start(t)
	e := newExperiment(t, targettest.Of(t, l, prodlab.DefaultTopic), experiment.ScheduleName("broker-restart"), experiment.N(10))
	_, err := e.Run(context.Background(), nil)
	if !errors.Is(err, experiment.ErrCannotRestart) || !strings.Contains(err.Error(), "prodlab kafka up") {
		t.Fatalf("Run = %v, want ErrCannotRestart naming prodlab kafka up", err)
	}
}

// TestInterrupted cancels an experiment while its toxic is on: Run
// returns the context's error and leaves no toxic behind.
func TestInterrupted(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 1, nil)
	e := newExperiment(t, targettest.Of(t, l, topic), experiment.N(100000), experiment.Rate(50))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel once the schedule's toxic is on.
		_ = wait.Until(ctx, func() bool { return len(targettest.Toxics(t, l)) > 0 })
		cancel()
	}()
	_, err := e.Run(ctx, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	targettest.NoToxics(t, l)
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  experiment.Opt
		tg   []target.Opt
		want string
	}{
		{"schedule", experiment.ScheduleName("chaos"), nil, "unknown schedule"},
		{"n", experiment.N(-1), nil, "outside 1.."},
		{"keys", experiment.Keys(1000), nil, "Keys"},
		{"rate", experiment.Rate(-1), nil, "Rate"},
		{"send timeout", experiment.SendTimeout(time.Millisecond), nil, "SendTimeout"},
		{"no api", nil, []target.Opt{target.APIs()}, "no API to measure"},
		{"reserved", nil, []target.Opt{target.APIs(target.API{Name: "fr.anz", URL: "http://127.0.0.1:1"})}, "use a plain word"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := target.New(tc.tg...)
			if err != nil {
				t.Fatal(err)
			}
			var opts []experiment.Opt
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			if _, err := experiment.New(tg, opts...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	tg, _ := target.New()
	if _, err := experiment.New(tg, experiment.N(0), experiment.Keys(0), experiment.SendTimeout(0)); err != nil {
		t.Fatalf("New() with zero options, which mean the defaults: %v", err)
	}
	names := map[string]bool{}
	for _, s := range experiment.Schedules() {
		names[s.Name()] = true
		if s.Describe() == "" {
			t.Errorf("%s has no description", s.Name())
		}
	}
	for _, n := range []string{"ack-loss", "latency", "reset-peer", "slicer", "bandwidth", "broker-restart", "mixed"} {
		if !names[n] {
			t.Errorf("schedule %s is not registered", n)
		}
	}
}

// TestAckLossSeedContract runs ack-loss with an API whose records carry the
// eventId only in their JSON value, as the seed's: every record is found
// and classified, none is unknown, and the plain row duplicates.
func TestAckLossSeedContract(t *testing.T) {
	l := labtest.Start(t)
	tg := targettest.Of(t, l, labtest.Topic(t, l, 3, nil), target.APIs(target.API{Name: "seed", URL: labtest.SeedAPI(t, l)}))
	rep, _ := runShort(t, l, tg, nil)
	if len(rep.Rows) != 2 || rep.Unknown != 0 {
		t.Fatalf("%d rows, %d unknown records; want 2 and 0", len(rep.Rows), rep.Unknown)
	}
	for _, r := range rep.Rows {
		if r.Lost != 0 || r.Copies["acked"][0] != 0 {
			t.Errorf("%s: %+v: acked sends without a copy in the log", r.Name(), r)
		}
	}
}

// TestAckLossDialer runs ack-loss against a lab whose kfake broker
// advertises its own address: the franz-go rows, whose connections cross
// the dialer's proxy, get the faults; librdkafka, which no fault reaches
// there, is left out and named.
func TestAckLossDialer(t *testing.T) {
	l, _ := labtest.SelfAdvertising(t, 1)
	rep, tab := runShort(t, l, targettest.Of(t, l, labtest.Topic(t, l, 3, nil)), nil)
	if len(rep.Rows) != 2 || rep.Rows[0].API != prodlab.Franz || rep.Rows[1].API != prodlab.Franz {
		t.Fatalf("rows %+v, want franz's 2: only franz-go's connections cross the proxies", rep.Rows)
	}
	if labtest.API(l, prodlab.Librdkafka) != nil {
		if len(rep.NoFaults) != 1 || rep.NoFaults[0].API != prodlab.Librdkafka || !strings.Contains(tab, "librdkafka: not measured: faults cannot be injected") {
			t.Fatalf("NoFaults = %+v; the table must say that no fault reaches librdkafka", rep.NoFaults)
		}
	}
}

// TestAckLossRelay runs ack-loss against a lab in relay mode over a kfake
// broker that advertises its own address: every API crosses the proxies,
// librdkafka included, so every row is measured.
func TestAckLossRelay(t *testing.T) {
	l, _ := labtest.Relayed(t, 1)
	rep, _ := runShort(t, l, targettest.Of(t, l, labtest.Topic(t, l, 3, nil)), nil)
	if len(rep.NoFaults) != 0 {
		t.Fatalf("NoFaults = %+v: in relay mode every API crosses Toxiproxy", rep.NoFaults)
	}
	if len(rep.Rows) != 2*len(l.APIs()) {
		t.Fatalf("%d rows, want 2 per API (%d)", len(rep.Rows), len(l.APIs()))
	}
}
