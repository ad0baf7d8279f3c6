package main

import (
	"os"
	"slices"
	"strings"

	"github.com/prodlab/prodlab/internal/i18n"
)

// langFlag takes --lang fr|en out of args (see takeFlags) and returns the
// language to speak: the flag's, else the locale's (LC_ALL, LC_MESSAGES,
// then LANG; French when it starts with "fr", English otherwise).
func langFlag(args []string, getenv func(string) string) (i18n.Lang, []string, error) {
	lang := i18n.FromEnv(getenv)
	rest, err := takeFlags(args, func(_, value string) error {
		l, err := i18n.Parse(value)
		if err != nil {
			return i18n.Errorf("cli.lang.bad", "value", value)
		}
		lang = l
		return nil
	}, "lang")
	if err != nil {
		return lang, nil, &exitError{code: 2, err: err}
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

// takeFlags takes the flags called names (-name or --name, the value
// after a space or an "=") out of args, wherever they stand before a
// "--", calls set with each, and returns the other args in order.
func takeFlags(args []string, set func(name, value string) error, names ...string) ([]string, error) {
	rest := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(rest, args[i:]...), nil
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || !slices.Contains(names, name) {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil, i18n.Errorf("cli.flag.needsValue", "flag", "--"+name)
			}
			i++
			value = args[i]
		}
		if err := set(name, value); err != nil {
			return nil, err
		}
	}
	return rest, nil
}
