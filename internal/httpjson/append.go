package httpjson

import (
	"net/http"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s to dst as a JSON string, byte for byte as
// encoding/json writes it: <, > and & escaped as \u003c and so on, U+2028
// and U+2029 escaped, invalid UTF-8 replaced by \ufffd. For hot paths that
// build their JSON by hand.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// WriteRaw writes body, JSON already encoded and ending in a newline, with
// status code; answers are never cached. A w with a WriteJSON method (the
// producer API's fasthttp writer) writes them itself.
func WriteRaw(w http.ResponseWriter, code int, body []byte) {
	if j, ok := w.(interface{ WriteJSON(code int, body []byte) }); ok {
		j.WriteJSON(code, body)
		return
	}
	h := w.Header()
	// Shared, never-mutated values: Header.Set would allocate a slice per
	// answer, and net/http copies the header when it writes it.
	h["Content-Type"], h["Cache-Control"] = jsonType, noStore
	w.WriteHeader(code)
	_, _ = w.Write(body)
}
