package doctest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// ExactFields are JSON fields whose string values the guide shows as they
// really are (states, topics, modes, toxic names); other strings and numbers
// are compared by type.
var ExactFields = []string{"status", "state", "topic", "mode", "sendMode", "engine", "name", "type", "stream", "listen"}

// MaxPartitions bounds every "partition" field: the guide's topics have at
// most this many partitions.
const MaxPartitions = 3

// Match checks out, a block's combined output, against one expected block.
func Match(e Expect, out string, exact []string) error {
	if e.Lang == "json" {
		return MatchJSON(e.Body, out, exact)
	}
	return MatchText(e.Body, out)
}

// MatchJSON checks that every JSON value of want appears in out, in order,
// with the same shape: the same object keys, the same value types, the same
// array lengths, exact values for ExactFields, exact, and booleans,
// partitions in [0, MaxPartitions) and offsets ≥ 0.
func MatchJSON(want, out string, exact []string) error {
	wants, err := decodeAll(want)
	if err != nil {
		return fmt.Errorf("expected block is not JSON: %w", err)
	}
	if len(wants) == 0 {
		return fmt.Errorf("expected block holds no JSON value")
	}
	got := scanJSON(out)
	exactSet := append(slices.Clone(ExactFields), exact...)
	i := 0
	for n, w := range wants {
		var firstErr error
		found := false
		for ; i < len(got); i++ {
			err := shape(w, got[i], "$", "", exactSet)
			if err == nil {
				found = true
				i++
				break
			}
			if firstErr == nil && sameKind(w, got[i]) {
				firstErr = err
			}
		}
		if !found {
			if firstErr != nil {
				return fmt.Errorf("expected JSON value #%d: %w", n+1, firstErr)
			}
			return fmt.Errorf("expected JSON value #%d (%s) not found in the output", n+1, kind(w))
		}
	}
	return nil
}

func decodeAll(s string) ([]any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if err != nil {
			if err.Error() == "EOF" {
				return out, nil
			}
			return nil, err
		}
		out = append(out, v)
	}
}

// scanJSON returns every JSON object or array found in out, left to right.
func scanJSON(out string) []any {
	var vals []any
	for i := 0; i < len(out); i++ {
		if out[i] != '{' && out[i] != '[' {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(out[i:]))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			continue
		}
		vals = append(vals, v)
		i += int(dec.InputOffset()) - 1
	}
	return vals
}

func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func sameKind(a, b any) bool { return kind(a) == kind(b) }

func shape(want, got any, path, key string, exact []string) error {
	if kind(want) != kind(got) {
		return fmt.Errorf("%s: want %s, got %s", path, kind(want), compact(got))
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		var missing, extra []string
		for k := range w {
			if _, ok := g[k]; !ok {
				missing = append(missing, k)
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				extra = append(extra, k)
			}
		}
		if len(missing) > 0 || len(extra) > 0 {
			sort.Strings(missing)
			sort.Strings(extra)
			return fmt.Errorf("%s: fields differ: missing %v, unexpected %v in %s", path, missing, extra, compact(got))
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := shape(w[k], g[k], path+"."+k, k, exact); err != nil {
				return err
			}
		}
	case []any:
		g := got.([]any)
		if len(w) != len(g) {
			return fmt.Errorf("%s: want %d elements, got %d: %s", path, len(w), len(g), compact(got))
		}
		for i := range w {
			if err := shape(w[i], g[i], fmt.Sprintf("%s[%d]", path, i), key, exact); err != nil {
				return err
			}
		}
	case string:
		if slices.Contains(exact, key) && w != got.(string) {
			return fmt.Errorf("%s: want %q, got %q", path, w, got)
		}
	case bool:
		if w != got.(bool) {
			return fmt.Errorf("%s: want %v, got %v", path, w, got)
		}
	case json.Number:
		g := got.(json.Number)
		if slices.Contains(exact, key) && w.String() != g.String() {
			return fmt.Errorf("%s: want %s, got %s", path, w, g)
		}
		switch key {
		case "partition":
			p, err := g.Int64()
			if err != nil || p < 0 || p >= MaxPartitions {
				return fmt.Errorf("%s: partition %s is out of range [0,%d)", path, g, MaxPartitions)
			}
		case "offset":
			o, err := g.Int64()
			if err != nil || o < 0 {
				return fmt.Errorf("%s: offset %s is not an integer ≥ 0", path, g)
			}
		}
	}
	return nil
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// placeholder is a <name> in an expected text line: any run of non-blank
// characters.
var placeholder = regexp.MustCompile(`<[^<>\s][^<>]*>`)

var blanks = regexp.MustCompile(`\s+`)

// LinePattern turns one expected text line into a regexp matching a whole
// output line: <name> matches any non-blank run, "..." or "…" anything,
// blanks any blanks; the rest is literal.
func LinePattern(line string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^\s*`)
	rest := strings.TrimSpace(line)
	for rest != "" {
		loc := placeholder.FindStringIndex(rest)
		dots := strings.Index(rest, "...")
		ell := strings.Index(rest, "…")
		next, kind, width := len(rest), "", 0
		if loc != nil {
			next, kind, width = loc[0], "ph", loc[1]-loc[0]
		}
		if dots >= 0 && dots < next {
			next, kind, width = dots, "any", 3
		}
		if ell >= 0 && ell < next {
			next, kind, width = ell, "any", len("…")
		}
		lit := rest[:next]
		for j, part := range blanks.Split(lit, -1) {
			if j > 0 {
				b.WriteString(`\s+`)
			}
			b.WriteString(regexp.QuoteMeta(part))
		}
		switch kind {
		case "ph":
			b.WriteString(`\S+`)
		case "any":
			b.WriteString(`.*`)
		}
		rest = rest[next+width:]
	}
	b.WriteString(`\s*$`)
	return regexp.MustCompile(b.String())
}

// MatchText checks that the non-blank lines of want match lines of out in
// order (see LinePattern); other output lines may come between them.
func MatchText(want, out string) error {
	lines := strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n")
	i := 0
	for _, w := range strings.Split(want, "\n") {
		if strings.TrimSpace(w) == "" {
			continue
		}
		re := LinePattern(w)
		found := false
		for ; i < len(lines); i++ {
			if re.MatchString(lines[i]) {
				found = true
				i++
				break
			}
		}
		if !found {
			return fmt.Errorf("expected line %q not found (in order) in the output", strings.TrimSpace(w))
		}
	}
	return nil
}

// Tail returns the last n bytes of out, for failure messages.
func Tail(out []byte, n int) string {
	out = bytes.TrimSpace(out)
	if len(out) > n {
		return "…" + string(out[len(out)-n:])
	}
	return string(out)
}
