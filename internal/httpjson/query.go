package httpjson

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/prodlab/prodlab/internal/i18n"
)

// maxPairShown bounds how much of a broken pair an error quotes.
const maxPairShown = 80

// Query parses r's query strictly, pair by pair as url.ParseQuery does: a
// pair that does not decode (a bad %-escape, a ';'), is not UTF-8 or holds a
// control character is answered 400, naming it, and ok is false.
func Query(w http.ResponseWriter, r *http.Request) (q url.Values, ok bool) {
	q = url.Values{}
	if field, msg := ParseQuery(r.URL.RawQuery, func(k, v string) { q[k] = append(q[k], v) }); msg != "" {
		Error(w, http.StatusBadRequest, field, msg)
		return nil, false
	}
	return q, true
}

// ParseQuery is Query without the answer or the map: it calls fn with each
// pair, in order, or returns the field at fault and a sentence naming it.
func ParseQuery(raw string, fn func(k, v string)) (field, msg string) {
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		// Decoded as url.ParseQuery decodes a single pair, without its map.
		name, value, _ := strings.Cut(pair, "=")
		k, kerr := url.QueryUnescape(name)
		v, verr := url.QueryUnescape(value)
		if semi := strings.Contains(pair, ";"); semi || kerr != nil || verr != nil {
			id := "query.badEscape"
			if semi {
				id = "query.semicolon"
			}
			if kerr == nil && !strings.Contains(name, ";") {
				name = k
			}
			return name, i18n.T(id, "pair", quote(pair))
		}
		for _, s := range [2]string{k, v} {
			if m := checkText(s, pair); m != "" {
				return k, m
			}
		}
		fn(k, v)
	}
	return "", ""
}

// checkText says what is wrong with s as text, in query pair pair, or "".
func checkText(s, pair string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r >= 0x7f }) {
		return "" // printable ASCII
	}
	if !utf8.ValidString(s) {
		return i18n.T("query.utf8", "pair", quote(pair))
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return i18n.T("query.control", "pair", quote(pair), "char", strconv.QuoteRune(r))
		}
	}
	return ""
}

func quote(s string) string {
	if len(s) > maxPairShown {
		s = s[:maxPairShown] + "..."
	}
	return strconv.Quote(s)
}
