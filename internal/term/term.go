// Package term makes text from clients and the network safe to print on a
// terminal.
package term

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Safe returns s with every byte a terminal could act on escaped as Go's
// strconv does: C0 controls (ESC, BEL, CR, LF, tab included), DEL, C1
// controls (U+0080–U+009F) and invalid UTF-8. Other text, accented
// letters included, is left as it is; so is a string with nothing to
// escape, without allocating.
func Safe(s string) string { return escape(s, false) }

// Text is Safe for printed lines: it keeps newlines and tabs, which move
// the cursor but change nothing else, and escapes the rest as Safe does.
func Text(s string) string { return escape(s, true) }

func escape(s string, lines bool) string {
	unsafe := func(r rune, size int) bool {
		return unsafe(r, size) && !(lines && (r == '\n' || r == '\t'))
	}
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unsafe(r, size) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case unsafe(r, size):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func unsafe(r rune, size int) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r == utf8.RuneError && size == 1)
}
