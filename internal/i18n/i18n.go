// Package i18n holds every message a trainee reads, in French and English:
// the CLI's, the checkpoints' and the web console's. The catalogue is
// messages.json, keyed by message id:
//
//	"topic.deleted": {"fr": "Topic {topic} supprimé.", "en": "Deleted topic {topic}."}
//
// Placeholders, {name}, are filled from name/value pairs, here and by the
// console's i18n.js, which reads the same file at /i18n.json.
package i18n

import (
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prodlab/prodlab/internal/term"
)

// Lang is a language of the catalogue.
type Lang string

const (
	FR Lang = "fr"
	EN Lang = "en"
)

// Langs are the catalogue's languages, French first.
var Langs = []Lang{FR, EN}

//go:embed messages.json
var raw []byte

var catalogue map[string]map[Lang]string

func init() {
	if err := json.Unmarshal(raw, &catalogue); err != nil {
		panic("i18n: messages.json: " + err.Error())
	}
}

// ErrLang is returned by Parse for a language the catalogue lacks.
var ErrLang = errors.New("unknown language")

// Parse returns the language named s: "fr" or "en".
func Parse(s string) (Lang, error) {
	switch l := Lang(strings.ToLower(strings.TrimSpace(s))); l {
	case FR, EN:
		return l, nil
	}
	return "", fmt.Errorf("%w %q", ErrLang, s)
}

// FromEnv picks the locale's language: the first of LC_ALL, LC_MESSAGES and
// LANG that is set decides, French if it starts with "fr", else English.
func FromEnv(getenv func(string) string) Lang {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "fr") {
				return FR
			}
			return EN
		}
	}
	return EN
}

var current atomic.Value // Lang

// Set makes l the process's language, the one T and Error use.
func Set(l Lang) { current.Store(l) }

// Current is the process's language: the one given to Set, else the
// locale's (FromEnv(os.Getenv)).
func Current() Lang {
	if l, ok := current.Load().(Lang); ok {
		return l
	}
	return FromEnv(os.Getenv)
}

// Has reports whether id is in the catalogue.
func Has(id string) bool { _, ok := catalogue[id]; return ok }

// IDs returns every message id of the catalogue.
func IDs() []string { return slices.Collect(maps.Keys(catalogue)) }

// Text is message id in l, its placeholders left as they are; "" when id
// has no text in l.
func Text(l Lang, id string) string { return catalogue[id][l] }

// T renders message id in the process's language; args are name/value
// pairs filling its {name} placeholders.
func T(id string, args ...any) string { return Current().T(id, args...) }

// T renders message id in l. A missing text falls back to English, then
// to the id; a placeholder without its argument is left as written.
func (l Lang) T(id string, args ...any) string { return render(l, id, pairs(args)) }

func render(l Lang, id string, args map[string]string) string {
	var pairs []string
	for k, v := range args {
		pairs = append(pairs, "{"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(cmp.Or(catalogue[id][l], catalogue[id][EN], id)) // ids hold no {placeholder}
}

// pairs turns name/value pairs into strings (str), rendered when the
// message is made.
func pairs(args []any) map[string]string {
	if len(args) == 0 {
		return nil
	}
	m := make(map[string]string, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		k, _ := args[i].(string)
		m[k] = str(args[i+1])
	}
	return m
}

// str is v's text (fmt.Sprint: an error's, a Stringer's), a time.Duration
// rounded to the millisecond, made safe for a terminal (term.Text):
// clients and the network chose it.
func str(v any) string {
	if d, ok := v.(time.Duration); ok {
		return d.Round(time.Millisecond).String()
	}
	return term.Text(fmt.Sprint(v))
}

// Msg is a message to render later, in the reader's language.
type Msg struct {
	ID   string            `json:"id"`
	Args map[string]string `json:"args,omitempty"`
}

// M makes a Msg; args are name/value pairs, kept as strings.
func M(id string, args ...any) Msg { return Msg{ID: id, Args: pairs(args)} }

// In renders m in l.
func (m Msg) In(l Lang) string { return render(l, m.ID, m.Args) }

// String renders m in the process's language.
func (m Msg) String() string { return m.In(Current()) }

// Error is an error whose text is a catalogue message in the process's
// language. Err, when set, is wrapped.
type Error struct {
	Msg
	Err error
}

// Errorf returns an *Error for message id; args are name/value pairs, and
// an error value among them is also wrapped (errors.Is sees it).
func Errorf(id string, args ...any) error {
	e := &Error{Msg: M(id, args...)}
	for i := 1; i < len(args); i += 2 {
		if err, ok := args[i].(error); ok {
			e.Err = err
			break
		}
	}
	return e
}

func (e *Error) Error() string { return e.Msg.String() }
func (e *Error) Unwrap() error { return e.Err }

// Reason is the text of the innermost error err wraps, in the process's
// language for a refused connection or a timeout.
func Reason(err error) string {
	for {
		if u, ok := err.(interface{ Unwrap() []error }); ok && len(u.Unwrap()) > 0 {
			err = u.Unwrap()[len(u.Unwrap())-1]
		} else if next := errors.Unwrap(err); next != nil {
			err = next
		} else {
			break
		}
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return T("net.refused")
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return T("net.timeout")
	}
	return err.Error()
}

// JSON is the catalogue as the console's page reads it: {"fr": {id:
// text}, "en": {id: text}}.
func JSON() []byte {
	by := map[Lang]map[string]string{FR: {}, EN: {}} // TestCatalogueComplete: no other language
	for id, texts := range catalogue {
		for l, s := range texts {
			by[l][id] = s
		}
	}
	b, _ := json.Marshal(by) // strings only: it cannot fail
	return b
}
