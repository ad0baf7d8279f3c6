package httpjson

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxPairShown bounds how much of a broken pair an error quotes.
const maxPairShown = 80

// Query parses r's query string strictly, pair by pair with
// url.ParseQuery: a pair that does not decode (a bad %-escape, a ';'), or
// whose name or value is not valid UTF-8 or holds a control character,
// answers 400 naming that pair. ok is false when it has answered.
func Query(w http.ResponseWriter, r *http.Request) (q url.Values, ok bool) {
	q, field, msg := ParseQuery(r.URL.RawQuery)
	if msg != "" {
		Error(w, http.StatusBadRequest, field, msg)
		return nil, false
	}
	return q, true
}

// ParseQuery is Query without the answer: it returns the values, or the
// field at fault and a sentence naming the broken pair.
func ParseQuery(raw string) (q url.Values, field, msg string) {
	q = url.Values{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		name, _, _ := strings.Cut(pair, "=")
		one, err := url.ParseQuery(pair)
		if err != nil {
			why := "is not a valid query pair"
			switch {
			case strings.Contains(pair, ";"):
				why = "holds a ';': write it %3B"
			case strings.Contains(err.Error(), "escape"):
				why = "has a bad %-escape: write '%' as %25"
			}
			if n, err := url.QueryUnescape(name); err == nil && !strings.Contains(name, ";") {
				name = n
			}
			return nil, name, "query pair " + quote(pair) + " " + why
		}
		for k, vs := range one {
			for _, s := range append([]string{k}, vs...) {
				if m := checkText(s); m != "" {
					return nil, k, "query pair " + quote(pair) + " " + m
				}
			}
			q[k] = append(q[k], vs...)
		}
	}
	return q, "", ""
}

// checkText says what is wrong with s as text, or "".
func checkText(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "holds a control character (" + strconv.QuoteRune(r) + ")"
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
