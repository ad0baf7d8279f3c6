package api

import (
	"slices"
	"strconv"
	"sync/atomic"
	"unicode/utf8"
	"unique"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/i18n"
)

// Limits on send parameters.
const (
	MaxEventIDLen = 256  // characters
	MaxKeyLen     = 1024 // bytes
)

// fieldError is a bad parameter and the sentence that explains it.
type fieldError struct{ field, msg string }

var (
	sendParams   = []string{"mode", "sendMode", "eventId", "key", "partition", "topic"}
	statusParams = []string{"requestId"}
)

// query holds a strict query's values, at most one per allowed name.
type query struct {
	names []string
	vals  [6]string
	has   [6]bool
}

func (q *query) Get(name string) string { return q.vals[slices.Index(q.names, name)] }
func (q *query) Has(name string) bool   { return q.has[slices.Index(q.names, name)] }

// strictQuery parses raw strictly: a pair that does not decode (first), a name
// not in allowed or given twice is refused with the message id unknown or twice.
func strictQuery(raw string, allowed []string, unknown, twice string) (query, *fieldError) {
	q, bad := query{names: allowed}, (*fieldError)(nil)
	field, msg := httpjson.ParseQuery(raw, func(k, v string) {
		switch i := slices.Index(allowed, k); {
		case bad != nil:
		case i < 0:
			bad = &fieldError{k, i18n.T(unknown, "name", k)}
		case q.has[i]:
			bad = &fieldError{k, i18n.T(twice, "name", k)}
		default:
			q.vals[i], q.has[i] = v, true
		}
	})
	if msg != "" {
		return q, &fieldError{field, msg}
	}
	return q, bad
}

// parseSend parses a send's raw query strictly into an Event's send fields.
func parseSend(raw string, defaultTopic string) (Event, *fieldError) {
	var (
		req Event
		err error
	)
	q, ferr := strictQuery(raw, sendParams, "api.param.unknown", "api.param.twice")
	if ferr != nil {
		return req, ferr
	}
	if req.Mode, err = prodlab.ParseMode(q.Get("mode")); err != nil {
		if q.Get("mode") == "" {
			return req, &fieldError{"mode", i18n.T("api.mode.required")}
		}
		return req, &fieldError{"mode", i18n.T("api.mode.bad", "value", strconv.Quote(q.Get("mode")))}
	}
	if q.Has("sendMode") && q.Get("sendMode") == "" {
		return req, &fieldError{"sendMode", i18n.T("api.sendMode.empty")}
	}
	if req.SendMode, err = prodlab.ParseSendMode(q.Get("sendMode")); err != nil {
		return req, &fieldError{"sendMode", i18n.T("api.sendMode.bad", "value", strconv.Quote(q.Get("sendMode")))}
	}
	req.EventID = q.Get("eventId") // valid UTF-8: ParseQuery refuses the rest
	switch n := utf8.RuneCountInString(req.EventID); {
	case n == 0:
		return req, &fieldError{"eventId", i18n.T("api.eventId.required")}
	case n > MaxEventIDLen:
		return req, &fieldError{"eventId", i18n.T("api.eventId.long", "n", strconv.Itoa(n), "max", strconv.Itoa(MaxEventIDLen))}
	}
	req.Key = req.EventID
	if q.Has("key") {
		req.Key = q.Get("key")
		switch {
		case req.Key == "":
			return req, &fieldError{"key", i18n.T("api.key.empty")}
		case len(req.Key) > MaxKeyLen:
			return req, &fieldError{"key", i18n.T("api.key.long", "n", strconv.Itoa(len(req.Key)), "max", strconv.Itoa(MaxKeyLen))}
		}
	}
	req.Partition = prodlab.AnyPartition
	if q.Has("partition") {
		p, err := strconv.ParseInt(q.Get("partition"), 10, 32)
		if err != nil {
			return req, &fieldError{"partition", i18n.T("api.partition.notInt", "value", strconv.Quote(q.Get("partition")))}
		}
		if p < 0 {
			return req, &fieldError{"partition", i18n.T("api.partition.negative", "value", strconv.FormatInt(p, 10))}
		}
		req.Partition = int32(p)
	}
	req.Topic = defaultTopic
	if q.Has("topic") {
		req.Topic = q.Get("topic")
		if last := lastTopic.Load(); last != nil && *last == req.Topic {
			req.Topic = *last
			return req, nil
		}
		if msg := prodlab.ValidTopic(req.Topic); msg != "" {
			return req, &fieldError{"topic", msg}
		}
		// Interned: the record and the status store outlive the request
		// line this substring points into.
		t := unique.Make(req.Topic).Value()
		req.Topic = t
		lastTopic.Store(&t)
	}
	return req, nil
}

// lastTopic is the last topic a send named, valid and interned: senders
// mostly name the same one.
var lastTopic atomic.Pointer[string]

// parseStatus parses a status request's raw query strictly.
func parseStatus(raw string) (string, *fieldError) {
	q, ferr := strictQuery(raw, statusParams, "api.status.unknownParam", "api.status.twice")
	if ferr != nil {
		return "", ferr
	}
	id := q.Get("requestId")
	if id == "" {
		return "", &fieldError{"requestId", i18n.T("api.requestId.required")}
	}
	return id, nil
}
