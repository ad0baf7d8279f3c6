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
	b = append(b, `{"status":`...)
	b = httpjson.AppendString(b, r.Status)
	if r.State != "" {
		b = append(b, `,"state":`...)
		b = httpjson.AppendString(b, r.State)
	}
	if r.RequestID != "" {
		b = append(b, `,"requestId":`...)
		b = httpjson.AppendString(b, r.RequestID)
	}
	b = append(b, `,"topic":`...)
	b = httpjson.AppendString(b, r.Topic)
	if r.Partition != nil {
		b = append(b, `,"partition":`...)
		b = strconv.AppendInt(b, int64(*r.Partition), 10)
	}
	if r.Offset != nil {
		b = append(b, `,"offset":`...)
		b = strconv.AppendInt(b, *r.Offset, 10)
	}
	b = append(b, `,"eventId":`...)
	b = httpjson.AppendString(b, r.EventID)
	b = append(b, `,"mode":`...)
	b = httpjson.AppendString(b, r.Mode)
	b = append(b, `,"sendMode":`...)
	b = httpjson.AppendString(b, r.SendMode)
	b = append(b, `,"key":`...)
	b = httpjson.AppendString(b, r.Key)
	b = append(b, `,"engine":`...)
	b = httpjson.AppendString(b, r.Engine)
	return append(b, '}')
}

// appendValue appends a record's value as json.Marshal(v) would.
func appendValue(b []byte, v prodlab.Value) []byte {
	b = append(b, `{"eventId":`...)
	b = httpjson.AppendString(b, v.EventID)
	b = append(b, `,"mode":`...)
	b = httpjson.AppendString(b, string(v.Mode))
	b = append(b, `,"sendMode":`...)
	b = httpjson.AppendString(b, string(v.SendMode))
	b = append(b, `,"api":`...)
	b = httpjson.AppendString(b, v.API)
	b = append(b, `,"ts":`...)
	b = strconv.AppendInt(b, v.TS, 10)
	return append(b, '}')
}
