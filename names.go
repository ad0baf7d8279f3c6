package prodlab

import (
	"strconv"
	"strings"

	"github.com/prodlab/prodlab/internal/i18n"
)

// nameChars are the characters of a topic, proxy or toxic name.
const nameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

// legalName reports whether s is 1 to max of nameChars and not . or ..,
// which a URL path would resolve. It uses no regexp: every send checks its
// topic.
func legalName(s string, max int) bool {
	return len(s) >= 1 && len(s) <= max && s != "." && s != ".." && strings.TrimLeft(s, nameChars) == ""
}

// LegalName reports whether s may name a Toxiproxy proxy or toxic in the
// lab: 1 to 64 of a-z A-Z 0-9 . _ -, and not . or ... The console's form
// and Toxiproxy's front on :8474 both refuse any other name, so none
// reaches a terminal or a URL unescaped.
func LegalName(s string) bool { return legalName(s, 64) }

// ValidTopic reports why name is not a legal Kafka topic name (1 to 249 of
// the same characters, not . or ..), or "".
func ValidTopic(name string) string {
	if !legalName(name, 249) {
		return i18n.T("topic.illegal", "name", strconv.Quote(name))
	}
	return ""
}
