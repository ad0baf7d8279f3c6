package prodlab

import "regexp"

var legalNameChars = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,64}$`)

// LegalName reports whether s may name a Toxiproxy proxy or toxic in the
// lab: 1 to 64 of a-z A-Z 0-9 . _ -, and not . or .. (which a URL path
// would resolve). The console's form and Toxiproxy's front on :8474 both
// refuse any other name, so none reaches a terminal or a URL unescaped.
func LegalName(s string) bool { return s != "." && s != ".." && legalNameChars.MatchString(s) }
