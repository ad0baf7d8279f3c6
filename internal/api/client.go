package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/httpjson"
)

// Client calls one producer API over HTTP: the other side of Server. Do
// sends a request as it is, for a caller that relays the answer.
type Client struct{ httpjson.Client }

// ErrRetryLater matches an *Error with status 503: the API is not ready or
// is full, and the same send may be tried again.
var ErrRetryLater = errors.New("the producer API asks to retry later")

// ErrUnknownOutcome matches an *Error with status 504: the sync bound passed
// with no answer from Kafka; the send goes on and may yet be written.
var ErrUnknownOutcome = errors.New("the outcome of the send is unknown")

// Error is an answer other than success: the API's JSON error body, or the
// raw body if it is not one.
type Error struct {
	Status    int    // the HTTP status
	Field     string // the input at fault, if any
	Message   string // the API's sentence, or the raw body
	RequestID string // a 504's requestId, for Status
	EventID   string // a 504's eventId
	Body      string // the whole answer, trimmed
}

func (e *Error) Error() string { return strconv.Itoa(e.Status) + ": " + e.Message }

// Is matches ErrRetryLater to a 503 and ErrUnknownOutcome to a 504.
func (e *Error) Is(target error) bool {
	return target == ErrRetryLater && e.Status == http.StatusServiceUnavailable ||
		target == ErrUnknownOutcome && e.Status == http.StatusGatewayTimeout
}

// NewClient returns a client of the producer API at base, such as
// http://127.0.0.1:18080, with httpjson.NewClient's defaults.
func NewClient(base string, opts ...httpjson.ClientOpt) (*Client, error) {
	c, err := httpjson.NewClient("producer API", base, opts...)
	if err != nil {
		return nil, err
	}
	return &Client{c}, nil
}

// SendParams are the parameters of a send; a zero field is left out, so the
// API's default applies (mode plain, sendMode sync, the default topic, any
// partition, no key).
type SendParams struct {
	Mode      prodlab.Mode
	SendMode  prodlab.SendMode
	EventID   string
	Key       string
	Topic     string
	Partition *int32 // nil: any
}

func (p SendParams) query() url.Values {
	q := url.Values{}
	for _, kv := range [][2]string{{"mode", string(p.Mode)}, {"sendMode", string(p.SendMode)}, {"eventId", p.EventID}, {"key", p.Key}, {"topic", p.Topic}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	if p.Partition != nil {
		q.Set("partition", strconv.Itoa(int(*p.Partition)))
	}
	return q
}

// SendResult is the body of a successful send: 200 (sync, Status OK, with
// Partition and Offset) or 202 (async, Status ACCEPTED, with RequestID).
type SendResult struct {
	Status    string `json:"status"`
	State     string `json:"state,omitempty"`
	RequestID string `json:"requestId,omitempty"`
	Topic     string `json:"topic"`
	Partition *int32 `json:"partition,omitempty"`
	Offset    *int64 `json:"offset,omitempty"`
	EventID   string `json:"eventId"`
	Mode      string `json:"mode"`
	SendMode  string `json:"sendMode"`
	Key       string `json:"key"`
	Engine    string `json:"engine"`
	Body      string `json:"-"` // the whole answer, trimmed
}

// StatusResult is the body of GET /api/v1/status.
type StatusResult struct {
	State     string `json:"state"`
	RequestID string `json:"requestId"`
	EventID   string `json:"eventId"`
	Topic     string `json:"topic,omitempty"`
	Partition *int32 `json:"partition,omitempty"`
	Offset    *int64 `json:"offset,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Send does one POST /api/v1/send. An answer other than 200 or 202 is an
// *Error; a body that is not JSON leaves the result's fields empty.
func (c *Client) Send(ctx context.Context, p SendParams) (SendResult, error) {
	var r SendResult
	body, err := c.call(ctx, http.MethodPost, "/api/v1/send", p.query(), http.StatusOK, http.StatusAccepted)
	if err != nil {
		return r, err
	}
	_ = json.Unmarshal(body, &r) // another implementation of the contract may answer no JSON
	r.Body = strings.TrimSpace(string(body))
	return r, nil
}

// Status does one GET /api/v1/status for an async send's requestId.
func (c *Client) Status(ctx context.Context, requestID string) (StatusResult, error) {
	var r StatusResult
	body, err := c.call(ctx, http.MethodGet, "/api/v1/status", url.Values{"requestId": {requestID}}, http.StatusOK)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return r, fmt.Errorf("the status answer is not JSON: %w", err)
	}
	return r, nil
}

// Health does one GET /health: nil once the API answers 200.
func (c *Client) Health(ctx context.Context) error {
	_, err := c.call(ctx, http.MethodGet, "/health", nil, http.StatusOK)
	return err
}

// call does one request and returns the body of an answer with one of the
// ok statuses.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, ok ...int) ([]byte, error) {
	code, body, err := c.Call(ctx, method, path, q, nil)
	if err != nil {
		return nil, err
	}
	if slices.Contains(ok, code) {
		return body, nil
	}
	return nil, decodeError(code, body)
}

// decodeError reads the API's error body.
func decodeError(code int, body []byte) *Error {
	e := &Error{Status: code, Body: strings.TrimSpace(string(body))}
	e.Message = e.Body
	var b timeoutBody // the error body, with a 504's ids
	if json.Unmarshal(body, &b) == nil && b.Error != "" {
		e.Message, e.Field, e.RequestID, e.EventID = b.Error, b.Field, b.RequestID, b.EventID
	}
	return e
}
