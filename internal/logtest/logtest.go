// Package logtest keeps what a test's code logs, for the test to read.
package logtest

import (
	"context"
	"log/slog"
	"slices"
	"sync"
)

// Handler is a slog.Handler that keeps every record, at every level.
type Handler struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *Handler) Enabled(context.Context, slog.Level) bool { return true }

func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}

func (h *Handler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *Handler) WithGroup(string) slog.Handler      { return h }

// Records returns the records of level min and above, oldest first.
func (h *Handler) Records(min slog.Level) []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(h.recs), func(r slog.Record) bool { return r.Level < min })
}
