package api

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/valyala/fasthttp"
)

// Fast answers POST /api/v1/send and GET /api/v1/status on fasthttp as Routes
// does and reports whether ctx was one of them. httpguard's Guard.Fast passes
// only requests without browser headers: none is Foreign. A sync send waits
// for its answer, within the sync bound, even if its client leaves.
func (s *Server) Fast(ctx *fasthttp.RequestCtx) bool {
	path, query, _ := bytes.Cut(ctx.RequestURI(), []byte("?")) // raw, as net/http's RawQuery
	send := string(path) == "/api/v1/send" && ctx.IsPost()
	if !send && (string(path) != "/api/v1/status" || !ctx.IsGet()) {
		return false
	}
	w := fastWriters.Get().(*fastWriter)
	w.ctx = ctx
	if send {
		s.send(w, string(query), false, nil)
	} else {
		s.status(w, string(query), false)
	}
	clear(w.h)
	w.ctx, w.code = nil, 0
	fastWriters.Put(w)
	return true
}

var fastWriters = sync.Pool{New: func() any { return &fastWriter{h: http.Header{}} }}

// fastWriter is an http.ResponseWriter over a fasthttp answer. It keeps
// the code written, as codeWriter does, for the observers.
type fastWriter struct {
	ctx  *fasthttp.RequestCtx
	h    http.Header
	code int
}

func (w *fastWriter) Header() http.Header { return w.h }

func (w *fastWriter) WriteHeader(code int) {
	for k, vs := range w.h {
		for _, v := range vs {
			w.ctx.Response.Header.Add(k, v)
		}
	}
	w.ctx.SetStatusCode(code)
	if w.code == 0 {
		w.code = code
	}
}

func (w *fastWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ctx.Write(b)
}

var cacheControl, noStore = []byte("Cache-Control"), []byte("no-store")

// WriteJSON writes what httpjson.WriteRaw writes, its two headers straight
// into fasthttp's answer.
func (w *fastWriter) WriteJSON(code int, body []byte) {
	w.ctx.Response.Header.SetContentType("application/json")
	w.ctx.Response.Header.SetCanonical(cacheControl, noStore)
	w.WriteHeader(code)
	_, _ = w.Write(body)
}
