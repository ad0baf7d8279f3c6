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
	if cfg, err := upFlags([]string{"--kafka", "h:9092", "--faults", "relay"}, io.Discard); err != nil || cfg.Faults != lab.Relayed {
		t.Fatalf("--faults relay: Faults %q, %v", cfg.Faults, err)
	}
	for args, want := range map[string]string{
		"--kafka h:9092 --faults direct": "use auto, proxied, relay or dialer",
		"--faults dialer":                "need --kafka",
	} {
		if _, err := upFlags(strings.Fields(args), io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", args, err, want)
		}
	}
}

// TestUpClientFlags: up takes -X and --config for an external cluster,
// whose bootstrap.servers stands for --kafka, and refuses them without one.
func TestUpClientFlags(t *testing.T) {
	props := writeProps(t, "bootstrap.servers=h1:9093,h2:9093\nsecurity.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.username=u\nsasl.password=pw\n")
	cfg, err := upFlags([]string{"--config", props, "-X", "client.id=lab"}, io.Discard)
	if err != nil || strings.Join(cfg.External, ",") != "h1:9093,h2:9093" {
		t.Fatalf("--config: External %v, %v; want bootstrap.servers", cfg.External, err)
	}
	if s, err := cfg.Producer.Client.Security(); err != nil || s.ClientID != "lab" {
		t.Errorf("-X client.id=lab: client.id %q, %v", s.ClientID, err)
	}
	if cfg, err = upFlags([]string{"--kafka", "k:9092", "--config", props}, io.Discard); err != nil || strings.Join(cfg.External, ",") != "k:9092" {
		t.Errorf("--kafka wins over bootstrap.servers: External %v, %v", cfg.External, err)
	}
	for args, want := range map[string]string{
		"-X security.protocol=SSL":                     "need --kafka",
		"--kafka k:9092 -X sasl.password":              "sasl.password",
		"--kafka k:9092 -X security.protocol=SASL_SSL": "sasl.mechanism",
	} {
		if _, err := upFlags(strings.Fields(args), io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", args, err, want)
		}
	}
}

// TestBannerRelay prints the banner of a lab in relay mode over a cluster
// that advertises its own addresses: the one bootstrap, for every client,
// and the broker's proxy the relay created.
func TestBannerRelay(t *testing.T) {
	l, bootstrap := labtest.Relayed(t, 1)
	var b strings.Builder
	printBanner(&b, l)
	t.Log("\n" + b.String())
	for _, want := range []string{"Faults                     relay: ", "Kafka bootstrap            " + l.ProxyAddrs()[0] + " (every client", "Toxiproxy proxy broker-0   127.0.0.1:", "-> " + bootstrap[0]} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("banner lacks %q", want)
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
	for _, want := range []string{"Faults                     dialer: ", "Toxiproxy proxy broker-0   127.0.0.1:", "-> " + bootstrap[0], "Metrics (franz)            http://127.0.0.1:"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("banner lacks %q", want)
		}
	}
}
