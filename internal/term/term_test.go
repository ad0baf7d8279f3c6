package term

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"":                                   "",
		"compacté, déjà vu ✅":                "compacté, déjà vu ✅",
		"\x1b]0;pwned\a\x1b[2J\x1b[1;31mred": `\x1b]0;pwned\a\x1b[2J\x1b[1;31mred`,
		"a\r\nb\tc\x7f":                      `a\r\nb\tc\x7f`,
		"c1 \u009b31m":                       `c1 \u009b31m`,
		"bad \xff\xfe utf8":                  `bad \xff\xfe utf8`,
		"quote \" and \\ stay":               "quote \" and \\ stay",
		"\u2028 line sep":                    "\u2028 line sep",
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
	if got, want := Text("a\tb\nc\r\x1b[2J\n"), `a`+"\t"+`b`+"\n"+`c\r\x1b[2J`+"\n"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	s := "plain text"
	if n := testing.AllocsPerRun(100, func() { _ = Safe(s) }); n != 0 {
		t.Errorf("Safe allocates %v times on plain text", n)
	}
}

func FuzzSafe(f *testing.F) {
	f.Add("\x1b[2J é \xff")
	f.Fuzz(func(t *testing.T, s string) {
		out := Safe(s)
		for _, r := range out {
			if unicode.IsControl(r) {
				t.Fatalf("Safe(%q) = %q keeps %U", s, out, r)
			}
		}
		if !utf8.ValidString(out) {
			t.Fatalf("Safe(%q) = %q is not valid UTF-8", s, out)
		}
	})
}
