package console

import (
	"context"
	"net/http"
	"time"

	"github.com/prodlab/prodlab/internal/httpjson"
	parcours "github.com/prodlab/prodlab/internal/progress"
)

// Progress sets the progress record the Parcours panel shows, behind
// /api/progress; without it those endpoints answer 503.
func Progress(p *parcours.Recorder) Opt { return func(c *cfg) { c.progress = p } }

// ProgressShow runs the pending checks, then answers the checkpoints,
// each with its tick or null.
func (s *Server) ProgressShow(w http.ResponseWriter, r *http.Request) {
	p, ok := s.progressRecord(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	p.Verify(ctx)
	httpjson.Write(w, http.StatusOK, p.Report())
}

// ProgressReset forgets every tick and answers the empty table.
func (s *Server) ProgressReset(w http.ResponseWriter, r *http.Request) {
	p, ok := s.progressRecord(w, r)
	if !ok {
		return
	}
	if err := p.Reset(); err != nil {
		fail(w, r, http.StatusInternalServerError, "", "console.err.progressReset", "err", err.Error())
		return
	}
	httpjson.Write(w, http.StatusOK, p.Report())
}

// progressRecord returns the record for a request with no query, or
// answers 400 or 503.
func (s *Server) progressRecord(w http.ResponseWriter, r *http.Request) (*parcours.Recorder, bool) {
	if _, ok := query(w, r); !ok {
		return nil, false
	}
	if s.cfg.progress == nil {
		fail(w, r, http.StatusServiceUnavailable, "", "console.err.noProgress")
		return nil, false
	}
	return s.cfg.progress, true
}
