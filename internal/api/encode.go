package api

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/httpjson"
)

// The send path's JSON, written by hand: encoding/json's reflection was a
// tenth of a send's CPU in the API's profile. Each output is byte for byte
// what json.Marshal writes (encode_test.go checks it).

// bodies holds the buffers answers are encoded in: every writer copies
// what it is given.
var bodies = sync.Pool{New: func() any { return new([]byte) }}

// write writes r with code, as httpjson.Write would.
func (r *SendResult) write(w http.ResponseWriter, code int) {
	b := bodies.Get().(*[]byte)
	*b = append(r.appendJSON((*b)[:0]), '\n')
	httpjson.WriteRaw(w, code, *b)
	bodies.Put(b)
}

// appendJSON appends r as JSON, fields in declaration order, omitempty
// honoured.
func (r *SendResult) appendJSON(b []byte) []byte {
	b = appendString(b, `{"status":`, r.Status)
	if r.State != "" {
		b = appendString(b, `,"state":`, r.State)
	}
	if r.RequestID != "" {
		b = appendString(b, `,"requestId":`, r.RequestID)
	}
	b = appendString(b, `,"topic":`, r.Topic)
	if r.Partition != nil {
		b = strconv.AppendInt(append(b, `,"partition":`...), int64(*r.Partition), 10)
	}
	if r.Offset != nil {
		b = strconv.AppendInt(append(b, `,"offset":`...), *r.Offset, 10)
	}
	b = appendString(b, `,"eventId":`, r.EventID)
	b = appendString(b, `,"mode":`, r.Mode)
	b = appendString(b, `,"sendMode":`, r.SendMode)
	b = appendString(b, `,"key":`, r.Key)
	b = appendString(b, `,"engine":`, r.Engine)
	return append(b, '}')
}

// appendValue appends a record's value as json.Marshal(v) would.
func appendValue(b []byte, v prodlab.Value) []byte {
	b = appendString(b, `{"eventId":`, v.EventID)
	b = appendString(b, `,"mode":`, string(v.Mode))
	b = appendString(b, `,"sendMode":`, string(v.SendMode))
	b = appendString(b, `,"api":`, v.API)
	b = strconv.AppendInt(append(b, `,"ts":`...), v.TS, 10)
	return append(b, '}')
}

// appendString appends what precedes a string field, then its value.
func appendString(b []byte, prefix, v string) []byte {
	return httpjson.AppendString(append(b, prefix...), v)
}
