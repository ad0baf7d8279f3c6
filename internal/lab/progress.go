package lab

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/progress"
	"github.com/prodlab/prodlab/internal/toxi"
)

// openProgress starts the progress record: in DataDir's progress.json,
// or in memory without a DataDir. It follows every engine the lab runs;
// a lab without an API has none.
func (l *Lab) openProgress() error {
	engines := slices.Sorted(maps.Keys(l.cfg.APIPorts)) // each a built engine: see validate
	if len(engines) == 0 {
		return nil // no API, no checkpoint to see
	}
	opts := []progress.Opt{progress.Engines(engines...), progress.Direct(l.path),
		progress.RequestTimeout(l.cfg.Producer.RequestTimeout), progress.Tuned(tuned(l.cfg.Producer)),
		progress.Logger(l.cfg.Logger.With("part", "progress"))}
	if l.cfg.DataDir != "" {
		opts = append(opts, progress.File(filepath.Join(l.cfg.DataDir, progress.FileName)))
	}
	p, err := progress.New(opts...)
	if err != nil {
		return err
	}
	l.progress.Store(p)
	l.closers = append(l.closers, func() {
		l.progress.Store(nil)
		p.Close()
	})
	return nil
}

// tuned describes the timeouts of pc that differ from the lab's defaults.
func tuned(pc prodlab.Config) string {
	d := prodlab.DefaultConfig()
	var out []string
	if pc.RequestTimeout != d.RequestTimeout {
		out = append(out, fmt.Sprintf("request.timeout.ms=%d", pc.RequestTimeout.Milliseconds()))
	}
	if pc.DeliveryTimeout != d.DeliveryTimeout {
		out = append(out, fmt.Sprintf("delivery.timeout.ms=%d", pc.DeliveryTimeout.Milliseconds()))
	}
	return strings.Join(out, " ")
}

// Progress is the lab's progress record.
func (l *Lab) Progress() *progress.Recorder { return l.progress.Load() }

// observeToxic reports a toxic change to the progress record.
func (l *Lab) observeToxic(c toxi.Change) {
	if p := l.progress.Load(); p != nil {
		p.Toxic(c)
	}
}
