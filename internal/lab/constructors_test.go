package lab_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/admin"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/broker"
	"github.com/prodlab/prodlab/internal/console"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/experiment"
	"github.com/prodlab/prodlab/internal/httpguard"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/kafkalocal"
	"github.com/prodlab/prodlab/internal/kproxy"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/progress"
	"github.com/prodlab/prodlab/internal/status"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/toxi"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
	"github.com/prodlab/prodlab/internal/validate"
)

// TestConstructorsRefuseBadOptions gives every constructor of the lab that
// takes options one bad option, and wants an error that names it. None of
// them binds, dials or starts anything before it checks its options.
func TestConstructorsRefuseBadOptions(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tg, err := target.New()
	if err != nil {
		t.Fatal(err)
	}
	const base = "http://127.0.0.1:1"
	path, err := direct.New(direct.Bootstrap("127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	errOf := func(_ any, err error) error { return err }
	for _, tc := range []struct {
		opt  string // the option's name, which the error must hold
		err  error
		want error // a sentinel the error must wrap, if any
	}{
		{"SyncTimeout", errOf(lab.NewAPI(prodlab.Franz, prodlab.DefaultConfig(), 10, time.Minute, quiet, api.SyncTimeout(0))), nil},
		{"LookupTimeout", errOf(lab.NewAPI(prodlab.Franz, prodlab.DefaultConfig(), 10, time.Minute, quiet, api.LookupTimeout(-time.Second))), nil},
		{"MetadataTTL", errOf(lab.NewAPI(prodlab.Franz, prodlab.DefaultConfig(), 10, time.Minute, quiet, api.MetadataTTL(0))), nil},
		{"DefaultTopic", errOf(lab.NewAPI(prodlab.Franz, prodlab.DefaultConfig(), 10, time.Minute, quiet, api.DefaultTopic(".."))), nil},
		{"Logger", errOf(lab.NewAPI(prodlab.Franz, prodlab.DefaultConfig(), 10, time.Minute, quiet, api.Logger(nil))), nil},
		{"WithHTTPClient", errOf(api.NewClient(base, httpjson.WithHTTPClient(nil))), httpjson.ErrClientOpt},
		{"WithHeader", errOf(httpjson.NewClient("x", base, httpjson.WithHeader("a b", "v"))), httpjson.ErrClientOpt},
		{"WithHeader", errOf(toxiclient.New(base, httpjson.WithHeader("K", "a\r\nb"))), httpjson.ErrClientOpt},
		{"Bootstrap", errOf(direct.New(direct.Bootstrap("no-port"))), nil},
		{"Toxiproxy", errOf(console.New(console.Toxiproxy("127.0.0.1:8474"))), nil},
		{"API", errOf(console.New(console.API("franz", "ftp://x"))), nil},
		{"Watchdog", errOf(toxi.New(toxi.Watchdog(0))), nil},
		{"RequestTimeout", errOf(toxi.New(toxi.RequestTimeout(0))), nil},
		{"MaxBrokers", errOf(kproxy.New(nil, kproxy.MaxBrokers(0))), nil},
		{"Brokers", errOf(broker.Start(broker.Brokers(0))), nil},
		{"MaxFrameBytes", errOf(broker.Start(broker.MaxFrameBytes(1))), nil},
		{"Ports", errOf(broker.Start(broker.Brokers(2), broker.Ports(0))), nil},
		{"Timeout", errOf(admin.New(path, admin.Timeout(0))), admin.ErrInvalid},
		{"Toxiproxy", errOf(target.New(target.Toxiproxy("127.0.0.1:8474"))), nil},
		{"Timings", errOf(target.New(target.Timings(time.Hour, 0))), nil},
		{"Modes", errOf(validate.New(tg, validate.Modes("fast"))), nil},
		{"N", errOf(experiment.New(tg, experiment.N(-1))), nil},
		{"ScheduleName", errOf(experiment.New(tg, experiment.ScheduleName("chaos"))), experiment.ErrUnknownSchedule},
		{"Engines", errOf(progress.New(progress.Engines())), nil},
		{"MaxEntries", errOf(status.New(status.MaxEntries(0))), nil},
		{"AllowHosts", errOf(httpguard.New(httpguard.AllowHosts("evil host"))), httpguard.ErrBadHost},
		{"StopTimeout", errOf(kafkalocal.Status(t.Context(), kafkalocal.StopTimeout(0))), kafkalocal.ErrOption},
	} {
		t.Run(tc.opt, func(t *testing.T) {
			if tc.err == nil {
				t.Fatalf("a bad %s was taken", tc.opt)
			}
			if !regexp.MustCompile(`\b` + tc.opt + `\b`).MatchString(tc.err.Error()) {
				t.Errorf("error %q does not name %s", tc.err, tc.opt)
			}
			if tc.want != nil && !errors.Is(tc.err, tc.want) {
				t.Errorf("error %q does not wrap %v", tc.err, tc.want)
			}
		})
	}
	// The clients' defaults are options too, which callers override.
	if _, err := toxiclient.New(base, httpjson.WithHTTPClient(http.DefaultClient), httpjson.NoRedirects()); err != nil {
		t.Errorf("toxiclient.New with good options: %v", err)
	}
}
