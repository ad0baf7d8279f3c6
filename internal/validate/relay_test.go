package validate_test

import (
	"strings"
	"testing"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/target"
)

// TestValidateRelay runs Lab 02.4, as 'prodlab validate' does, against a
// lab in relay mode over brokers that advertise their own addresses: three
// kfake brokers or, with PRODLAB_KAFKA=local, the real cluster's DIRECT
// listeners (localhost:909x). Every API is bootstrapped at proxy kafka,
// crosses the broker proxies and is validated, librdkafka included; the
// log is read through the bootstrap the target finds in Toxiproxy.
func TestValidateRelay(t *testing.T) {
	var l *lab.Lab
	if labtest.Local() {
		l = labtest.Start(t, func(c *lab.Config) { c.Faults = lab.Relayed })
	} else {
		l, _ = labtest.Relayed(t, 3)
	}
	topic := labtest.Topic(t, l, 3, nil)
	// No bootstrap given, as 'prodlab validate' with no flags: the target
	// reads the lab's from Toxiproxy's proxy kafka (the relay's listener).
	all, err := l.Target()
	if err != nil {
		t.Fatal(err)
	}
	tg, err := target.New(target.APIs(all.APIs()...), target.Toxiproxy(l.ToxiproxyURL()), target.Topic(topic))
	if err != nil {
		t.Fatal(err)
	}
	rep, out := runValidate(t, l, tg)
	want := "OK: franz_idempotent=1 franz_plain=2"
	if labtest.API(l, prodlab.Librdkafka) != nil {
		want += " librdkafka_idempotent=1 librdkafka_plain=2"
	}
	if first, _, _ := strings.Cut(out, "\n"); first != want {
		t.Fatalf("first line %q, want %q", first, want)
	}
	if len(rep.NoFaults) != 0 || strings.Contains(out, "not validated") {
		t.Fatalf("NoFaults = %+v: in relay mode every API crosses Toxiproxy", rep.NoFaults)
	}
}
