// Package term makes text from clients and the network safe to print on a
// terminal.
package term

import (
	"strconv"
	"strings"
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
