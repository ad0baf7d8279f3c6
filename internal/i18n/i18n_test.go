package i18n

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestCatalogueComplete fails when a message lacks its French or English
// text, or when the two name different placeholders.
func TestCatalogueComplete(t *testing.T) {
	if len(catalogue) == 0 {
		t.Fatal("empty catalogue")
	}
	for id, texts := range catalogue {
		for l := range texts {
			if !slices.Contains(Langs, l) {
				t.Errorf("%s: unknown language %q", id, l)
			}
		}
		for _, l := range Langs {
			if strings.TrimSpace(texts[l]) == "" {
				t.Errorf("%s: no %s text", id, l)
			}
		}
		fr, en := names(texts[FR]), names(texts[EN])
		if !slices.Equal(fr, en) {
			t.Errorf("%s: placeholders fr %v, en %v", id, fr, en)
		}
	}
}

func names(s string) []string {
	var n []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(n, m[1]) {
			n = append(n, m[1])
		}
	}
	slices.Sort(n)
	return n
}

// Message ids as the code spells them: i18n.T("id", i18n.M("id",
// i18n.Errorf("id", a Lang's .T("id", the page's t('id' and its
// data-i18n="id".
var (
	placeholder = regexp.MustCompile(`\{(\w+)\}`)
	goUse       = regexp.MustCompile(`(?:\bi18n\.(?:T|M|Errorf|Text)|\.T)\(\s*"([a-zA-Z0-9_.]+)"\s*[,)]`)
	jsUse       = regexp.MustCompile(`\bt\(\s*'([a-zA-Z0-9_.]+)'\s*[,)]`)
	goLiteral   = regexp.MustCompile(`"([a-z][a-zA-Z0-9]*\.[a-zA-Z0-9.]*[a-zA-Z0-9])"`)
	fileExt     = regexp.MustCompile(`\.(sh|go|json|md|html|js|css|properties|yml|yaml|txt|com|example|jar|tgz|png|ms|bytes|policy|servers|mechanism)$`)
	htmlUse     = regexp.MustCompile(`data-i18n(?:-\w+)?="([a-zA-Z0-9_.]+)"`)
)

// TestIDsUsedExist scans the module's Go and the console's scripts for
// message ids and fails on one the catalogue lacks.
func TestIDsUsedExist(t *testing.T) {
	root := filepath.Join("..", "..")
	used, literals := map[string]string{}, map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		re := goUse
		switch {
		case strings.HasSuffix(path, "_test.go"):
			return nil
		case strings.HasSuffix(path, ".go"):
		case strings.HasSuffix(path, ".js") && strings.Contains(path, filepath.Join("console", "web")):
			re = jsUse
		case strings.HasSuffix(path, ".html") && strings.Contains(path, filepath.Join("console", "web")):
			re = htmlUse
		default:
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = path
		}
		if re == goUse {
			for _, m := range goLiteral.FindAllStringSubmatch(string(src), -1) {
				literals[m[1]] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Ids handed around as plain strings ("cmd.up", bad("admin.want.int"))
	// are found by their catalogue prefix.
	prefixes := map[string]bool{}
	for id := range catalogue {
		if p, _, ok := strings.Cut(id, "."); ok {
			prefixes[p] = true
		}
	}
	for id, path := range literals {
		p, rest, _ := strings.Cut(id, ".")
		if prefixes[p] && !strings.ContainsAny(rest, "/ ") && !fileExt.MatchString(id) {
			used[id] = path
		}
	}
	if len(used) < 10 {
		t.Fatalf("found %d message ids in the code: the scan is broken", len(used))
	}
	for id, path := range used {
		if !Has(id) {
			t.Errorf("%s uses message %q, missing from messages.json", path, id)
		}
	}
	t.Logf("%d message ids used in code, %d in the catalogue", len(used), len(catalogue))
}

func TestFromEnv(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want Lang
	}{
		{map[string]string{}, EN},
		{map[string]string{"LANG": "fr_FR.UTF-8"}, FR},
		{map[string]string{"LANG": "C"}, EN},
		{map[string]string{"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, EN},
		{map[string]string{"LANG": "C", "LC_MESSAGES": "fr_CA"}, FR},
		{map[string]string{"LC_ALL": "fr_BE", "LC_MESSAGES": "C", "LANG": "C"}, FR},
		{map[string]string{"LC_ALL": "C.UTF-8", "LANG": "fr_FR"}, EN},
	} {
		if got := FromEnv(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("FromEnv(%v) = %s, want %s", c.env, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	for s, want := range map[string]Lang{"fr": FR, "en": EN, "FR": FR} {
		if l, err := Parse(s); err != nil || l != want {
			t.Errorf("Parse(%q) = %q, %v", s, l, err)
		}
	}
	if _, err := Parse("de"); !errors.Is(err, ErrLang) {
		t.Errorf("Parse(de) = %v, want ErrLang", err)
	}
}

func TestRender(t *testing.T) {
	m := M("ev.exKeys", "partitions", "0, 1, 2", "topic", "bhf-transactions")
	if got, want := m.In(FR), "les clés choisies ont atteint les partitions 0, 1, 2 de bhf-transactions"; got != want {
		t.Errorf("fr: %q, want %q", got, want)
	}
	if got, want := m.In(EN), "chosen keys reached partitions 0, 1, 2 of bhf-transactions"; got != want {
		t.Errorf("en: %q, want %q", got, want)
	}
	if got := FR.T("no.such.id"); got != "no.such.id" {
		t.Errorf("missing id renders %q", got)
	}
	inner := errors.New("boom")
	Set(FR)
	defer Set(EN)
	err := Errorf("cli.lang.bad", "value", "de", "err", inner)
	if !errors.Is(err, inner) || err.Error() != "--lang de : choisissez fr ou en" {
		t.Errorf("Errorf: %q, wraps inner %v", err, errors.Is(err, inner))
	}
}

func TestReason(t *testing.T) {
	Set(FR)
	defer Set(EN)
	err := fmt.Errorf("%w at %s: %w", errors.New("toxiproxy does not answer"), "http://x", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})
	if got := Reason(err); got != "connexion refusée" {
		t.Errorf("Reason = %q", got)
	}
	if got := Reason(errors.New("boom")); got != "boom" {
		t.Errorf("Reason = %q", got)
	}
}
