package progress

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/i18n"
)

// TestEvidenceInTheReadersLanguage: a tick stores its evidence as a
// message, shown in the reader's language after a round trip through the
// progress file; a tick of an older version (how only) still reads.
func TestEvidenceInTheReadersLanguage(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := i18n.M("ev.latency", "engine", "franz", "took", 1503*time.Millisecond, "latency", 500*time.Millisecond)
	if err := save(path, map[ID]Tick{Latency: {At: at, How: m.In(i18n.EN), Msg: &m}}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// What an older version wrote: no msg.
	var old map[string]any
	if err := json.Unmarshal(raw, &old); err != nil {
		t.Fatal(err)
	}
	old["ticks"].(map[string]any)["02.0"] = map[string]any{"at": at, "how": "GET /health OK: franz"}
	raw, _ = json.Marshal(old)
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	ticks, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rep := NewReport(ticks)
	fr, en := rep.Text(i18n.FR), rep.Text(i18n.EN)
	for _, want := range []string{"envoi sync franz en 1.503s sous un toxic latency de 500ms sur le proxy kafka, puis toxic retiré", "GET /health OK: franz", "2/10 cochés", "| 02.1 | Envoi synchrone retourne partition/offset | ⬜ à faire — Étapes 5-6"} {
		if !strings.Contains(fr, want) {
			t.Errorf("French table lacks %q:\n%s", want, fr)
		}
	}
	for _, want := range []string{"franz sync send took 1.503s under a 500ms latency toxic on proxy kafka, then removed", "2/10 ticked", "| 02.1 | A sync send returns partition/offset | ⬜ to do — Steps 5-6"} {
		if !strings.Contains(en, want) {
			t.Errorf("English table lacks %q:\n%s", want, en)
		}
	}
}
