package franz

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/twmb/franz-go/pkg/kgo"
)

// franz-go words a lab's toxics as other causes ("is SASL missing?" on a cut
// connection): kgoLogger says in one line that it retries and which fault
// causes it, keeps franz-go's line at DEBUG, and counts repeats of one kind
// per broker within quietFor into the next line.
const quietFor = 5 * time.Second

// kgoNotes maps franz-go messages, by prefix, to what they mean here.
var kgoNotes = []struct{ prefix, note string }{
	{"produce partition load error", "produce failed on the network; franz-go retries the batch"},
	{"read from broker errored, killing connection", "the connection to the broker broke before its first answer; franz-go reconnects and retries"},
	{"read from broker received EOF during api versions discovery", "the connection to the broker closed while connecting; franz-go retries"},
	{"unable to open connection to broker", "cannot connect to the broker; franz-go retries"},
}

// faultOf names the kind of fault behind a network error's text.
func faultOf(err string) string {
	switch {
	case strings.Contains(err, "i/o timeout"), strings.Contains(err, "deadline exceeded"):
		return "no answer within the request timeout: a latency or timeout toxic, or a stalled broker"
	case strings.Contains(err, "EOF"), strings.Contains(err, "connection reset"), strings.Contains(err, "broken pipe"), strings.Contains(err, "closed"):
		return "the connection was cut: a reset_peer, timeout or limit_data toxic, or a broker restart"
	case strings.Contains(err, "connection refused"):
		return "nothing listens there: a disabled proxy or a stopped broker"
	}
	return ""
}

// repeats counts suppressed lines per logger, note and broker.
var repeats = struct {
	sync.Mutex
	last map[string]time.Time
	n    map[string]int
}{last: map[string]time.Time{}, n: map[string]int{}}

// maxRepeatKeys bounds the repeat table; it is cleared when full.
const maxRepeatKeys = 1024

// kgoLogger sends franz-go's warnings and errors to slog.
type kgoLogger struct{ l *slog.Logger }

func (k kgoLogger) Level() kgo.LogLevel {
	if k.l == nil {
		return kgo.LogLevelNone
	}
	return kgo.LogLevelWarn
}

func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	l, lvl := k.l, slog.LevelWarn
	if level == kgo.LogLevelError {
		lvl = slog.LevelError
	}
	note := ""
	for _, n := range kgoNotes {
		if strings.HasPrefix(msg, n.prefix) {
			note = n.note
			break
		}
	}
	var (
		errText  string
		broker   any
		willFail bool
		kept     []any
	)
	for i := 0; i+1 < len(keyvals); i += 2 {
		switch k, _ := keyvals[i].(string); k {
		case "will_fail":
			willFail, _ = keyvals[i+1].(bool)
		case "err":
			errText = fmt.Sprint(keyvals[i+1])
			kept = append(kept, k, keyvals[i+1])
		case "broker":
			broker = keyvals[i+1]
			kept = append(kept, k, keyvals[i+1])
		case "topic", "partition", "req", "addr":
			kept = append(kept, k, keyvals[i+1])
		}
	}
	if note == kgoNotes[0].note && willFail {
		note = "produce failed on the network; franz-go gives the batch up (retries or delivery timeout used up)"
	}
	fault := faultOf(errText)
	if note == "" || fault == "" { // not a known network fault: as franz-go says it
		l.Log(context.Background(), lvl, msg, append(keyvals, "engine", prodlab.Franz)...)
		return
	}
	l.Log(context.Background(), slog.LevelDebug, msg, append(keyvals, "engine", prodlab.Franz)...)
	key := fmt.Sprintf("%p|%s|%s|%v", l, note, fault, broker)
	now := time.Now()
	repeats.Lock()
	if t, ok := repeats.last[key]; ok && now.Sub(t) < quietFor {
		repeats.n[key]++
		repeats.Unlock()
		return
	}
	if len(repeats.last) >= maxRepeatKeys {
		clear(repeats.last)
		clear(repeats.n)
	}
	more := repeats.n[key]
	repeats.last[key], repeats.n[key] = now, 0
	repeats.Unlock()
	kept = append(kept, "cause", fault, "engine", prodlab.Franz)
	if more > 0 {
		kept = append(kept, "repeated", more)
	}
	l.Log(context.Background(), slog.LevelInfo, note, kept...)
}
