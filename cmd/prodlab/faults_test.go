package main

import (
	"io"
	"strings"
	"testing"

	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
)

func TestUpFaultsFlag(t *testing.T) {
	if cfg, err := upFlags(nil, io.Discard); err != nil || cfg.Faults != lab.FaultsAuto {
		t.Fatalf("default: Faults %q, %v; want auto", cfg.Faults, err)
	}
	if cfg, err := upFlags([]string{"--kafka", "h:9092", "--faults", "dialer"}, io.Discard); err != nil || cfg.Faults != lab.Dialed {
		t.Fatalf("--faults dialer: Faults %q, %v", cfg.Faults, err)
	}
	for args, want := range map[string]string{
		"--kafka h:9092 --faults direct": "use auto, proxied or dialer",
		"--faults dialer":                "need --kafka",
	} {
		if _, err := upFlags(strings.Fields(args), io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", args, err, want)
		}
	}
}

// TestBannerDialer prints the banner of a lab over a cluster that
// advertises its own addresses: it names the dialer mode and the proxy
// the franz-go API's dialer created for the broker.
func TestBannerDialer(t *testing.T) {
	l, bootstrap := labtest.SelfAdvertising(t, 1)
	var b strings.Builder
	printBanner(&b, l)
	t.Log("\n" + b.String())
	for _, want := range []string{"Faults                     dialer: ", "Toxiproxy proxy broker-0   127.0.0.1:", "-> " + bootstrap[0]} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("banner lacks %q", want)
		}
	}
}
