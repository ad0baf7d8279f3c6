package console

import (
	"context"
	"net/http"
	"time"

	"github.com/prodlab/prodlab/internal/httpjson"
	parcours "github.com/prodlab/prodlab/internal/progress"
)

// ProgressRecord is the lab's progress record the Parcours panel shows.
type ProgressRecord interface {
	// Verify runs the checks that read the brokers (copies, compaction).
	Verify(ctx context.Context)
	Report() parcours.Report
	Reset() error
}

// Progress sets the progress record behind /api/progress; without it
// those endpoints answer 503.
func Progress(p ProgressRecord) Opt { return func(c *cfg) { c.progress = p } }

// ProgressShow runs the pending checks, then answers the checkpoints
// table: every checkpoint with its tick, or null while its evidence is
// missing.
func (s *Server) ProgressShow(w http.ResponseWriter, r *http.Request) {
	if !s.noQuery(w, r) {
		return
	}
	if s.cfg.progress == nil {
		httpjson.Error(w, http.StatusServiceUnavailable, "", "this console has no progress record")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	s.cfg.progress.Verify(ctx)
	httpjson.Write(w, http.StatusOK, s.cfg.progress.Report())
}

// ProgressReset forgets every tick and answers the empty table.
func (s *Server) ProgressReset(w http.ResponseWriter, r *http.Request) {
	if !s.noQuery(w, r) {
		return
	}
	if s.cfg.progress == nil {
		httpjson.Error(w, http.StatusServiceUnavailable, "", "this console has no progress record")
		return
	}
	if err := s.cfg.progress.Reset(); err != nil {
		httpjson.Error(w, http.StatusInternalServerError, "", "cannot reset the progress: "+err.Error())
		return
	}
	httpjson.Write(w, http.StatusOK, s.cfg.progress.Report())
}

// noQuery refuses any query parameter: these endpoints take none.
func (s *Server) noQuery(w http.ResponseWriter, r *http.Request) bool {
	q, ok := httpjson.Query(w, r)
	if !ok {
		return false
	}
	for k := range q {
		httpjson.Error(w, http.StatusBadRequest, k, "unknown parameter "+k+": this endpoint takes none")
		return false
	}
	return true
}
