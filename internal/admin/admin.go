// Package admin manages topics, reads records and checks log compaction on
// the lab's direct path (bypassing Toxiproxy) with franz-go's kadm and kgo,
// returning typed results.
package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/i18n"
)

// Sentinel errors. Unknown topics wrap prodlab.ErrUnknownTopic.
var (
	ErrTopicExists = errors.New("topic already exists")
	// ErrInvalid means the input or the broker refused a request as invalid.
	ErrInvalid     = errors.New("invalid request")
	ErrUnreachable = errors.New("no broker reachable") // within the timeout
	// ErrNotCompacted means compaction did not leave one record for the key
	// within the wait; ErrUnexpected that it kept another value.
	ErrNotCompacted = errors.New("not compacted in time")
	ErrUnexpected   = errors.New("unexpected value kept")
)

// DefaultTimeout bounds each admin request unless Timeout says otherwise.
const DefaultTimeout = 10 * time.Second

type cfg struct {
	timeout time.Duration
}

// Opt configures a Client.
type Opt func(*cfg)

// Timeout bounds each admin request and the setup of a read, default
// DefaultTimeout.
func Timeout(d time.Duration) Opt { return func(c *cfg) { c.timeout = d } }

// Client talks to one cluster.
type Client struct {
	path  *direct.Path
	cfg   cfg
	adm   *kadm.Client
	dials *dialHook
	opts  []kgo.Opt // of every client made: the dial hook and timeout
}

// New returns a client on the direct path p, which must have a
// bootstrap. It connects lazily: an unreachable cluster is ErrUnreachable
// on the first request.
func New(p *direct.Path, opts ...Opt) (*Client, error) {
	c := &Client{path: p, cfg: cfg{timeout: DefaultTimeout}, dials: &dialHook{}}
	for _, o := range opts {
		o(&c.cfg)
	}
	switch {
	case p == nil || len(p.Bootstrap()) == 0:
		return nil, errm(ErrInvalid, "admin.noBootstrap")
	case c.cfg.timeout <= 0:
		return nil, invalidf("Timeout must be > 0, got %s", c.cfg.timeout)
	}
	c.opts = []kgo.Opt{kgo.WithHooks(c.dials), kgo.DialTimeout(c.cfg.timeout)}
	cl, err := c.path.Client(c.opts...)
	if err != nil {
		return nil, err
	}
	c.adm = kadm.NewClient(cl)
	return c, nil
}

// Close closes the client.
func (c *Client) Close() { c.adm.Close() }

// wrap turns a deadline hit while no broker could be dialled into
// ErrUnreachable.
func (c *Client) wrap(err error) error {
	derr := c.dials.last()
	switch {
	case derr != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, kgo.ErrClientClosed) || isDialErr(err)):
		return errm(ErrUnreachable, "admin.unreachable", "addr", strings.Join(c.path.Bootstrap(), ","), "timeout", c.cfg.timeout, "err", i18n.Reason(derr))
	case errors.Is(err, context.DeadlineExceeded):
		return errm(ErrUnreachable, "admin.noAnswer", "addr", strings.Join(c.path.Bootstrap(), ","), "timeout", c.cfg.timeout)
	}
	return err
}

func isDialErr(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// dialHook remembers the last failed dial, and forgets it on success.
type dialHook struct{ err atomic.Pointer[error] }

func (h *dialHook) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	h.err.Store(&err)
}

func (h *dialHook) last() error {
	if p := h.err.Load(); p != nil {
		return *p
	}
	return nil
}

// kafkaErr maps a broker error about topic to the package's sentinels.
func kafkaErr(topic string, err error, msg string) error {
	if err == nil {
		return nil
	}
	if msg != "" {
		msg = ": " + msg
	}
	var ke *kerr.Error
	switch {
	case errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.UnknownTopicID):
		return errm(prodlab.ErrUnknownTopic, "admin.unknownTopic", "topic", strconv.Quote(topic))
	case errors.Is(err, kerr.TopicAlreadyExists):
		return errm(ErrTopicExists, "admin.topicExists", "topic", strconv.Quote(topic))
	case errors.As(err, &ke) && slices.Contains(invalid, ke):
		return errm(ErrInvalid, "admin.refused", "topic", strconv.Quote(topic), "code", ke.Message, "msg", msg)
	}
	return fmt.Errorf("topic %q: %w%s", topic, err, msg)
}

// invalid are the broker errors that mean ErrInvalid.
var invalid = []*kerr.Error{kerr.InvalidConfig, kerr.InvalidPartitions, kerr.InvalidReplicationFactor,
	kerr.InvalidTopicException, kerr.InvalidRequest, kerr.InvalidReplicaAssignment, kerr.PolicyViolation}

// invalidError is an ErrInvalid that reads as its own message.
type invalidError string

func (e invalidError) Error() string { return string(e) }
func (e invalidError) Unwrap() error { return ErrInvalid }

func invalidf(format string, args ...any) error { return invalidError(fmt.Sprintf(format, args...)) }

// errm returns an error that reads as catalogue message id, in the
// process's language, and matches kind with errors.Is.
func errm(kind error, id string, args ...any) error {
	return &i18n.Error{Msg: i18n.M(id, args...), Err: kind}
}
