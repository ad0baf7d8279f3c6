package api

import (
	"strconv"
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

// sendRequest is a validated POST /api/v1/send.
type sendRequest struct {
	mode      prodlab.Mode
	sendMode  prodlab.SendMode
	eventID   string
	key       string
	partition int32
	topic     string
}

// fieldError is a bad parameter and the sentence that explains it.
type fieldError struct{ field, msg string }

var sendParams = map[string]bool{"mode": true, "sendMode": true, "eventId": true, "key": true, "partition": true, "topic": true}

// parseSend parses a send's raw query strictly: a pair that does not
// decode is refused, never skipped.
func parseSend(raw string, defaultTopic string) (sendRequest, *fieldError) {
	q, field, msg := httpjson.ParseQuery(raw)
	if msg != "" {
		return sendRequest{}, &fieldError{field, msg}
	}
	for k, vs := range q {
		if !sendParams[k] {
			return sendRequest{}, &fieldError{k, i18n.T("api.param.unknown", "name", k)}
		}
		if len(vs) > 1 {
			return sendRequest{}, &fieldError{k, i18n.T("api.param.twice", "name", k)}
		}
	}
	var (
		req sendRequest
		err error
	)
	if req.mode, err = prodlab.ParseMode(q.Get("mode")); err != nil {
		return req, &fieldError{"mode", modeError(q.Get("mode"))}
	}
	if q.Has("sendMode") && q.Get("sendMode") == "" {
		return req, &fieldError{"sendMode", i18n.T("api.sendMode.empty")}
	}
	if req.sendMode, err = prodlab.ParseSendMode(q.Get("sendMode")); err != nil {
		return req, &fieldError{"sendMode", i18n.T("api.sendMode.bad", "value", strconv.Quote(q.Get("sendMode")))}
	}
	req.eventID = q.Get("eventId")
	switch n := utf8.RuneCountInString(req.eventID); {
	case !utf8.ValidString(req.eventID):
		return req, &fieldError{"eventId", i18n.T("api.eventId.utf8")}
	case n == 0:
		return req, &fieldError{"eventId", i18n.T("api.eventId.required")}
	case n > MaxEventIDLen:
		return req, &fieldError{"eventId", i18n.T("api.eventId.long", "n", strconv.Itoa(n), "max", strconv.Itoa(MaxEventIDLen))}
	}
	req.key = req.eventID
	if q.Has("key") {
		req.key = q.Get("key")
		switch {
		case !utf8.ValidString(req.key):
			return req, &fieldError{"key", i18n.T("api.key.utf8")}
		case req.key == "":
			return req, &fieldError{"key", i18n.T("api.key.empty")}
		case len(req.key) > MaxKeyLen:
			return req, &fieldError{"key", i18n.T("api.key.long", "n", strconv.Itoa(len(req.key)), "max", strconv.Itoa(MaxKeyLen))}
		}
	}
	req.partition = prodlab.AnyPartition
	if q.Has("partition") {
		p, err := strconv.ParseInt(q.Get("partition"), 10, 32)
		if err != nil {
			return req, &fieldError{"partition", i18n.T("api.partition.notInt", "value", strconv.Quote(q.Get("partition")))}
		}
		if p < 0 {
			return req, &fieldError{"partition", i18n.T("api.partition.negative", "value", strconv.FormatInt(p, 10))}
		}
		req.partition = int32(p)
	}
	req.topic = defaultTopic
	if q.Has("topic") {
		req.topic = q.Get("topic")
		if msg := prodlab.ValidTopic(req.topic); msg != "" {
			return req, &fieldError{"topic", msg}
		}
		// Interned: the buffered record and the status store outlive the
		// request line this substring points into, and every send to a
		// topic then shares one copy of its name (dropped once unused).
		req.topic = unique.Make(req.topic).Value()
	}
	return req, nil
}

// modeError says why mode s is refused, as prodlab.ParseMode does, in the
// process's language.
func modeError(s string) string {
	if s == "" {
		return i18n.T("api.mode.required")
	}
	return i18n.T("api.mode.bad", "value", strconv.Quote(s))
}

// parseStatus parses a status request's raw query strictly.
func parseStatus(raw string) (string, *fieldError) {
	q, field, msg := httpjson.ParseQuery(raw)
	if msg != "" {
		return "", &fieldError{field, msg}
	}
	for k, vs := range q {
		if k != "requestId" {
			return "", &fieldError{k, i18n.T("api.status.unknownParam", "name", k)}
		}
		if len(vs) > 1 {
			return "", &fieldError{k, i18n.T("api.status.twice")}
		}
	}
	id := q.Get("requestId")
	if id == "" {
		return "", &fieldError{"requestId", i18n.T("api.requestId.required")}
	}
	return id, nil
}
