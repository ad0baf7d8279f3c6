package validate_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/target/targettest"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
	"github.com/prodlab/prodlab/internal/validate"
	"github.com/prodlab/prodlab/internal/wait"
)

// newValidator returns a validate run on tg, with its progress in the
// test's log unless opts say otherwise.
func newValidator(t *testing.T, tg *target.Target, opts ...validate.Opt) *validate.Validator {
	t.Helper()
	if testing.Verbose() {
		opts = append([]validate.Opt{validate.Progress(t.Logf)}, opts...)
	}
	v, err := validate.New(tg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// runValidate runs Lab 02.4 on tg, as 'prodlab validate' does, logs its
// output and returns it. It fails the test if the run fails, if a window's
// copies differ from an independent count of l's log, or if a toxic is
// left behind.
func runValidate(t *testing.T, l *lab.Lab, tg *target.Target) (validate.Report, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := newValidator(t, tg).Run(ctx)
	var out strings.Builder
	_ = rep.WriteText(&out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	for _, r := range rep.Runs {
		if got := labtest.Count(t, l, tg.Topic(), r.EventID); len(got) != len(r.Copies) {
			t.Errorf("%s: the report has %d copies, the log %d", r.Name(), len(r.Copies), len(got))
		}
	}
	targettest.NoToxics(t, l)
	return rep, out.String()
}

// TestValidate runs Lab 02.4 against every engine: plain mode duplicates,
// idempotent mode writes one record, and no toxic is left behind.
func TestValidate(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 3, nil)
	tg := targettest.Of(t, l, topic)
	rep, out := runValidate(t, l, tg)
	if len(rep.Runs) != 2*len(l.APIs()) {
		t.Fatalf("%d windows, want %d", len(rep.Runs), 2*len(l.APIs()))
	}
	if !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("output does not start with OK: %q", out)
	}
	for _, r := range rep.Runs {
		got := labtest.Count(t, l, topic, r.EventID)
		switch r.Mode {
		case prodlab.Idempotent:
			if len(got) != 1 {
				t.Errorf("%s: %d copies, want 1", r.Name(), len(got))
			} else if got[0].ProducerID < 0 || r.Copies[0].ProducerID != got[0].ProducerID {
				t.Errorf("%s: producer id %d in the report, %d on the record", r.Name(), r.Copies[0].ProducerID, got[0].ProducerID)
			}
			if !strings.Contains(out, "producer id ") {
				t.Errorf("output names no producer id")
			}
		case prodlab.Plain:
			if len(got) < 2 {
				t.Errorf("%s: %d copies, want a duplicate", r.Name(), len(got))
			}
			for _, c := range r.Copies {
				if !strings.Contains(out, "offset "+strconv.FormatInt(c.Offset, 10)) {
					t.Errorf("output does not list offset %d of %s", c.Offset, r.Name())
				}
			}
		}
		if r.Window < tg.RequestTimeout() {
			t.Errorf("%s: the window closed after %v, before the request timeout %v", r.Name(), r.Window, tg.RequestTimeout())
		}
	}
}

// TestValidateInterrupted cancels a run inside its first window: the run
// stops with the context's error and leaves no toxic behind.
func TestValidateInterrupted(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 1, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v := newValidator(t, targettest.Of(t, l, topic), validate.Progress(func(format string, args ...any) {
		if strings.Contains(fmt.Sprintf(format, args...), i18n.T("validate.step.on", "name", "", "id", "")) {
			// The toxic is on every proxy: interrupt now.
			if len(targettest.Toxics(t, l)) == 0 {
				t.Errorf("progress said the toxic is on, Toxiproxy lists none")
			}
			cancel()
		}
	}))
	_, err := v.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v, want context.Canceled", err)
	}
	targettest.NoToxics(t, l)
}

// TestValidateAfterBrokenConnection cuts the librdkafka plain producer's
// connections after the run's warm-up, as a trainee's fault or another
// window's toxic may: the window must still see its record written (the
// producer reconnected under the window's toxic, whose answers come too late
// for its version handshake, and the record never reached the broker).
func TestValidateAfterBrokenConnection(t *testing.T) {
	l := labtest.Start(t)
	a := labtest.API(l, prodlab.Librdkafka)
	if a == nil {
		t.Skip("no librdkafka engine in this build")
	}
	topic := labtest.Topic(t, l, 1, nil)
	proxies := labtest.Proxies(t, l)
	broken := false
	v := newValidator(t, targettest.Of(t, l, topic, target.APIs(target.API{Name: a.Engine.Name(), URL: a.URL})),
		validate.Modes(prodlab.Plain), validate.Progress(func(format string, args ...any) {
			if broken || !strings.Contains(fmt.Sprintf(format, args...), a.URL) {
				return
			}
			broken = true // after the warm-up: cut every connection, then let them reconnect
			for _, p := range proxies {
				if err := p.SetEnabled(t.Context(), false); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if err := wait.Until(ctx, func() bool { return !plainUp(t, a.URL) }); err != nil {
				t.Fatalf("the plain producer's connections stayed up with the proxies off: %v", err)
			}
			for _, p := range proxies {
				if err := p.SetEnabled(t.Context(), true); err != nil {
					t.Fatal(err)
				}
			}
		}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := v.Run(ctx)
	if !broken {
		t.Fatal("the run never reported its warm-up")
	}
	if err != nil {
		var out strings.Builder
		_ = rep.WriteText(&out)
		t.Fatalf("validate after a broken connection: %v\n%s", err, out.String())
	}
	targettest.NoToxics(t, l)
}

// plainUp reports whether the librdkafka API at u says a connection of its
// plain producer is up (its broker_up metric).
func plainUp(t *testing.T, u string) bool {
	t.Helper()
	resp, err := http.Get(u + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(body)) {
		if strings.HasPrefix(line, "prodlab_librdkafka_broker_up{") && strings.Contains(line, `producer="plain"`) && strings.HasSuffix(strings.TrimSpace(line), " 1") {
			return true
		}
	}
	return false
}

// TestValidateRefusesToxics refuses to run over a toxic someone left.
func TestValidateRefusesToxics(t *testing.T) {
	l := labtest.Start(t)
	tc, err := toxiclient.New(l.ToxiproxyURL())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.Proxy("kafka").AddToxic(t.Context(), "slow", "latency", "downstream", 1, toxiclient.Attributes{"latency": 10}); err != nil {
		t.Fatal(err)
	}
	_, err = newValidator(t, targettest.Of(t, l, prodlab.DefaultTopic)).Run(context.Background())
	if !errors.Is(err, target.ErrToxicsPresent) {
		t.Fatalf("run over a toxic returned %v, want ErrToxicsPresent", err)
	}
}

// TestValidateUnreachableAPI: an API that does not answer is named, with
// the reason in the process's language rather than Go's dial error.
func TestValidateUnreachableAPI(t *testing.T) {
	l := labtest.Start(t)
	url := "http://" + labtest.ClosedAddr(t)
	_, err := newValidator(t, targettest.Of(t, l, prodlab.DefaultTopic, target.APIs(target.API{Name: "franz", URL: url}))).Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), url) || strings.Contains(err.Error(), "dial tcp") || !strings.HasSuffix(err.Error(), ": "+i18n.T("net.refused")) {
		t.Fatalf("run with an API that does not answer returned %v, want it named, then %q", err, i18n.T("net.refused"))
	}
	targettest.NoToxics(t, l)
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		tg   target.Opt
		opt  validate.Opt
		want string
	}{
		{"no api", target.APIs(), validate.Modes(), "no API to validate"},
		{"bad url", target.APIs(target.API{Name: "franz", URL: "127.0.0.1:18080"}), validate.Modes(), "not an http:// URL"},
		{"topic", target.Topic("a b"), validate.Modes(), "not a legal Kafka topic"},
		{"mode", target.Topic(""), validate.Modes("fast"), "not allowed"},
		{"timeout", target.Timings(time.Millisecond, 0), validate.Modes(), "outside"},
		{"direct", target.Direct(nil), validate.Modes(), "Direct"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := target.New(tc.tg)
			if err == nil {
				_, err = validate.New(tg, tc.opt)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	tg, _ := target.New()
	if _, err := validate.New(tg); err != nil {
		t.Fatalf("default config: %v", err)
	}
}

// TestReportFails turns counts that break the claim into FAIL and a
// sentence.
func TestReportFails(t *testing.T) {
	one := []validate.Copy{{Partition: 0, Offset: 7, ProducerID: -1}}
	two := append(one, validate.Copy{Partition: 0, Offset: 8, ProducerID: 5})
	for _, tc := range []struct {
		r    validate.Result
		want string
	}{
		{validate.Result{API: "franz", Mode: prodlab.Plain, Status: 200, Copies: one}, "did not duplicate"},
		{validate.Result{API: "franz", Mode: prodlab.Idempotent, Status: 200, Copies: two}, "exactly 1"},
		{validate.Result{API: "franz", Mode: prodlab.Idempotent, Status: 502, Answer: "boom", Copies: one}, "answered 502"},
	} {
		rep := validate.Report{Runs: []validate.Result{tc.r}}
		err := rep.Err()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(rep.Summary(), "FAIL: ") {
			t.Errorf("%+v: Err() = %v, Summary() = %q; want FAIL and %q", tc.r, err, rep.Summary(), tc.want)
		}
	}
}
