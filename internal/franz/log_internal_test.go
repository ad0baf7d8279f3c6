package franz

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKgoWarningsTranslated feeds franz-go's own warning texts (kgo
// broker.go) and checks what reaches INFO and above.
func TestKgoWarningsTranslated(t *testing.T) {
	var out bytes.Buffer
	l := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sasl := "read from broker errored, killing connection after 0 successful responses (is SASL missing?)"
	for i := 0; i < 5; i++ { // repeats within quietFor print once
		kgoLogger{l}.Log(kgo.LogLevelWarn, sasl, "req", "Produce", "addr", "127.0.0.1:29093", "broker", "1", "err", io.EOF)
	}
	kgoLogger{l}.Log(kgo.LogLevelWarn, "unable to open connection to broker", "addr", "127.0.0.1:29093", "broker", "1", "err", errors.New("dial tcp 127.0.0.1:29093: connect: connection refused"))
	kgoLogger{l}.Log(kgo.LogLevelWarn, "something else entirely", "err", io.EOF)
	var shown []string
	for _, s := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.Contains(s, " level=DEBUG ") {
			shown = append(shown, s)
		}
	}
	if len(shown) != 3 {
		t.Fatalf("want 3 lines above DEBUG (one per kind, the unknown one as is), got:\n%s", strings.Join(shown, "\n"))
	}
	if strings.Contains(shown[0], "SASL") || !strings.Contains(shown[0], `cause="the connection was cut`) || !strings.Contains(shown[0], " level=INFO ") {
		t.Errorf("SASL line: %s", shown[0])
	}
	if !strings.Contains(shown[1], `cause="nothing listens there`) {
		t.Errorf("refused line: %s", shown[1])
	}
	if !strings.Contains(shown[2], ` level=WARN msg="something else entirely"`) {
		t.Errorf("an unknown warning must pass as franz-go wrote it: %s", shown[2])
	}
}
