package main

import (
	"os"
	"strings"

	"github.com/prodlab/prodlab/internal/i18n"
)

// langFlag takes --lang fr|en (or -lang, the value after a space or an
// "=") out of args, wherever it stands before a "--", and returns the
// language to speak: the flag's, else the locale's (LC_ALL, LC_MESSAGES,
// then LANG; French when it starts with "fr", English otherwise).
func langFlag(args []string, getenv func(string) string) (i18n.Lang, []string, error) {
	lang := i18n.FromEnv(getenv)
	rest := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "lang" {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return lang, nil, &exitError{code: 2, err: i18n.Errorf("cli.flag.needsValue", "flag", "--lang")}
			}
			i++
			value = args[i]
		}
		l, err := i18n.Parse(value)
		if err != nil {
			return lang, nil, &exitError{code: 2, err: i18n.Errorf("cli.lang.bad", "value", value)}
		}
		lang = l
	}
	return lang, rest, nil
}

// setLang makes the language of args (or of the environment) the
// process's, and returns args without --lang.
func setLang(args []string) ([]string, error) {
	l, rest, err := langFlag(args, os.Getenv)
	i18n.Set(l)
	return rest, err
}
