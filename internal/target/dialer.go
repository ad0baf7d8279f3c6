package target

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

// Current returns the proxies to fault now: those Connect listed or, in
// Dialer mode, every proxy Toxiproxy lists now.
func (c *Conn) Current(ctx context.Context) (Proxies, error) {
	if !c.Dialer {
		return c.Proxies, nil
	}
	return listProxies(ctx, c.tc, c.url)
}

// NoFault is an API that no fault on the proxies reaches, and why.
type NoFault struct {
	API    string `json:"api"`
	Reason string `json:"reason"`
}

// ProbeToxic names the toxic Faultable puts on every proxy.
const ProbeToxic = "prodlab-probe-latency"

// probeWait bounds a probe send's answer while the proxies hold the
// brokers' answers: far more than a send takes, far less than the toxic.
const probeWait = 3 * time.Second

// Faultable finds out, in Dialer mode, whether a's sends cross the
// proxies: while a latency toxic holds every proxy's answers, a sends one
// record (eventId probe-<api>-<hex>) to topic; an answer within probeWait
// went around Toxiproxy, and Faultable says so in a NoFault. Outside
// Dialer mode it returns nil without a probe.
func (c *Conn) Faultable(ctx context.Context, a API, topic string) (*NoFault, error) {
	if !c.Dialer {
		return nil, nil
	}
	cl, err := api.NewClient(a.URL)
	if err != nil {
		return nil, err
	}
	ps, err := c.Current(ctx)
	if err != nil {
		return nil, err
	}
	if err := ps.AddToxic(ProbeToxic, "latency", "downstream", toxiclient.Attributes{"latency": 60000, "jitter": 0}); err != nil {
		return nil, err
	}
	removeToxic := sync.OnceValue(func() error { return ps.RemoveToxic(ProbeToxic) })
	defer removeToxic()
	var b [6]byte
	_, _ = rand.Read(b[:])
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	answer := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := cl.Send(sctx, api.SendParams{Mode: prodlab.Idempotent, SendMode: prodlab.Sync,
			EventID: "probe-" + a.Name + "-" + hex.EncodeToString(b[:]), Topic: topic})
		answer <- err
	}()
	select {
	case err := <-answer:
		if err != nil {
			return nil, fmt.Errorf("the %s API's probe send: %w", a.Name, err)
		}
		return &NoFault{API: a.Name, Reason: fmt.Sprintf("faults cannot be injected on this cluster: it advertises its own addresses, "+
			"and this API's connections do not cross Toxiproxy (its probe send answered in %v while every proxy held the brokers' answers). "+
			"Bootstrap it at the lab's proxy kafka (relay mode); in dialer mode only the franz-go API dials the brokers through proxies, librdkafka (confluent-kafka-go) has no dialer hook",
			time.Since(start).Round(time.Millisecond))}, nil
	case <-time.After(probeWait):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := removeToxic(); err != nil {
		return nil, err
	}
	if err := <-answer; err != nil {
		return nil, fmt.Errorf("the %s API's probe send, held by the proxies, failed once released: %w", a.Name, err)
	}
	return nil, nil
}
