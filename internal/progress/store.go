package progress

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/prodlab/prodlab/internal/i18n"
)

// FileName is the progress file under the lab's data dir.
const FileName = "progress.json"

const (
	fileVersion = 1       // the file's format
	maxFile     = 1 << 20 // the largest file read: ten ticks fit in a few KB
)

// ErrFile wraps every error about a progress file that cannot be read.
var ErrFile = errors.New("progress file")

type file struct {
	Version int         `json:"version"`
	Ticks   map[ID]Tick `json:"ticks"`
}

// Load reads the ticks saved at path; a missing file holds none.
func Load(path string) (map[ID]Tick, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[ID]Tick{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrFile, path, err)
	}
	if len(raw) > maxFile {
		return nil, &i18n.Error{Msg: i18n.M("progress.file.big", "file", path, "n", len(raw)), Err: ErrFile}
	}
	var f file
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err = dec.Decode(&f)
	if err == nil && dec.More() {
		err = errors.New("data after the JSON object")
	}
	if err != nil {
		return nil, &i18n.Error{Msg: i18n.M("progress.file.json", "file", path, "err", err), Err: ErrFile}
	}
	if f.Version != fileVersion {
		return nil, &i18n.Error{Msg: i18n.M("progress.file.version", "file", path, "version", f.Version, "want", fileVersion), Err: ErrFile}
	}
	ticks := map[ID]Tick{}
	for id, t := range f.Ticks {
		if !slices.ContainsFunc(Checkpoints, func(c Checkpoint) bool { return c.ID == id }) {
			return nil, &i18n.Error{Msg: i18n.M("progress.file.checkpoint", "file", path, "id", strconv.Quote(string(id))), Err: ErrFile}
		}
		ticks[id] = t
	}
	return ticks, nil
}

// save writes ticks to path atomically: a temporary file, synced, renamed
// over it.
func save(path string, ticks map[ID]Tick) error {
	raw, err := json.MarshalIndent(file{Version: fileVersion, Ticks: ticks}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, FileName+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(raw, '\n'))
	if err := errors.Join(err, tmp.Sync(), tmp.Close()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Reset forgets the ticks saved at path (for a lab that is not running).
func Reset(path string) error { return save(path, map[ID]Tick{}) }

// NewReport builds the table from ticks.
func NewReport(ticks map[ID]Tick) Report {
	r := Report{Guide: GuideURL}
	for _, c := range Checkpoints {
		row := Row{Checkpoint: c}
		if t, ok := ticks[c.ID]; ok {
			row.Tick = &t
		}
		r.Rows = append(r.Rows, row)
	}
	return r
}
