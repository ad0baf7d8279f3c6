package httpjson

import (
	"net/http"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s to dst as a JSON string, byte for byte as
// encoding/json writes it (<, >, &, U+2028 and U+2029 escaped, invalid UTF-8
// as \ufffd), for hot paths that build their JSON by hand.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf && b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
			i++
			continue
		}
		r, size := rune(b), 1
		if b >= utf8.RuneSelf {
			if r, size = utf8.DecodeRuneInString(s[i:]); size > 1 && r != '\u2028' && r != '\u2029' {
				i += size
				continue
			}
		}
		dst = append(dst, s[start:i]...)
		switch {
		case b == '\\' || b == '"':
			dst = append(dst, '\\', b)
		case b == '\b':
			dst = append(dst, '\\', 'b')
		case b == '\f':
			dst = append(dst, '\\', 'f')
		case b == '\n':
			dst = append(dst, '\\', 'n')
		case b == '\r':
			dst = append(dst, '\\', 'r')
		case b == '\t':
			dst = append(dst, '\\', 't')
		case b < utf8.RuneSelf: // a control character, <, > or &
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
		case size == 1: // invalid UTF-8
			dst = append(dst, `\ufffd`...)
		default: // U+2028 or U+2029
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// WriteRaw writes body, encoded JSON ending in a newline, with status code,
// never cached; a w with a WriteJSON method (the API's fasthttp writer) does it.
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
