package main

import (
	"errors"
	"slices"
	"testing"

	"github.com/prodlab/prodlab/internal/i18n"
)

// inLang makes l the process's language for the test.
func inLang(t *testing.T, l i18n.Lang) {
	t.Helper()
	before := i18n.Current()
	i18n.Set(l)
	t.Cleanup(func() { i18n.Set(before) })
}

func TestLangFlag(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	fr := env(map[string]string{"LANG": "fr_FR.UTF-8"})
	c := env(map[string]string{"LANG": "C"})
	for _, tc := range []struct {
		args   []string
		getenv func(string) string
		want   i18n.Lang
		rest   []string
	}{
		{[]string{"up"}, fr, i18n.FR, []string{"up"}},
		{[]string{"up"}, c, i18n.EN, []string{"up"}},
		{[]string{"up", "--lang", "en"}, fr, i18n.EN, []string{"up"}},
		{[]string{"--lang=fr", "progress", "--json"}, c, i18n.FR, []string{"progress", "--json"}},
		{[]string{"consume", "-lang", "fr", "--", "--lang", "en"}, c, i18n.FR, []string{"consume", "--", "--lang", "en"}},
	} {
		l, rest, err := langFlag(tc.args, tc.getenv)
		if err != nil || l != tc.want || !slices.Equal(rest, tc.rest) {
			t.Errorf("langFlag(%q) = %s %q %v, want %s %q", tc.args, l, rest, err, tc.want, tc.rest)
		}
	}
	for _, args := range [][]string{{"up", "--lang", "de"}, {"up", "--lang"}} {
		_, _, err := langFlag(args, c)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("langFlag(%q) = %v, want a usage error", args, err)
		}
	}
}
