package api

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/valyala/fasthttp"
)

// Fast answers POST /api/v1/send and GET /api/v1/status on fasthttp as
// Routes() does, and reports whether ctx was one of them. The caller
// (httpguard's Guard.Fast) passes only requests of an allowed host without
// Origin or Sec-Fetch-Site: none is Foreign. A sync send does not see its
// client leave: it waits for its answer, within the sync bound.
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
	w.ctx = nil
	fastWriters.Put(w)
	return true
}

var fastWriters = sync.Pool{New: func() any { return &fastWriter{h: http.Header{}} }}

// fastWriter is an http.ResponseWriter over a fasthttp answer.
type fastWriter struct {
	ctx *fasthttp.RequestCtx
	h   http.Header
}

func (w *fastWriter) Header() http.Header { return w.h }

func (w *fastWriter) WriteHeader(code int) {
	for k, vs := range w.h {
		for _, v := range vs {
			w.ctx.Response.Header.Add(k, v)
		}
	}
	w.ctx.SetStatusCode(code)
}

func (w *fastWriter) Write(b []byte) (int, error) { return w.ctx.Write(b) }
