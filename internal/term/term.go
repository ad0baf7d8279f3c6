// Package term makes text from clients and the network safe to print on a
// terminal.
package term

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Safe returns s with what a terminal could act on (C0 and C1 controls,
// DEL, invalid UTF-8) escaped as strconv does; other text, accents
// included, is left as it is, without allocating when nothing changes.
func Safe(s string) string { return escape(s, false) }

// Text is Safe for printed lines: it keeps newlines and tabs, which move
// the cursor but change nothing else, and escapes the rest as Safe does.
func Text(s string) string { return escape(s, true) }

func escape(s string, lines bool) string {
	var b strings.Builder
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		invalid := r == utf8.RuneError && size == 1
		if (invalid || unicode.IsControl(r)) && !(lines && (r == '\n' || r == '\t')) {
			b.WriteString(s[done:i])
			if invalid {
				b.WriteString(`\x` + strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
			} else {
				q := strconv.QuoteRuneToASCII(r)
				b.WriteString(q[1 : len(q)-1])
			}
			done = i + size
		}
		i += size
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}
