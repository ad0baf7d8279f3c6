package console

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/prodlab/prodlab/internal/i18n"
)

// TestI18nKeys: the page reads its words from the lab's catalogue at
// /i18n.json, and every word it asks for is there in French and English.
func TestI18nKeys(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.Routes())
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/i18n.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var served map[string]map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&served); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /i18n.json: %d %v", resp.StatusCode, err)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}
	if bad, err := http.Get(srv.URL + "/i18n.json?lang=fr"); err != nil || bad.StatusCode != http.StatusBadRequest {
		t.Errorf("GET /i18n.json?lang=fr: %v %v, want 400", bad.StatusCode, err)
	}
	read := func(name string) string {
		b, err := webFS.ReadFile("web/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if strings.Contains(read("i18n.js"), "'send.btn':") {
		t.Error("i18n.js still holds its own words")
	}
	used := map[string]string{}
	for _, m := range regexp.MustCompile(`data-i18n(?:-title|-placeholder|-aria)?="([\w.]+)"`).FindAllStringSubmatch(read("index.html"), -1) {
		used[m[1]] = "index.html"
	}
	for _, js := range []string{"app.js", "progress.js"} {
		for _, m := range regexp.MustCompile(`\bt\('([\w.]+)'`).FindAllStringSubmatch(read(js), -1) {
			if !strings.HasSuffix(m[1], ".") { // a prefix completed at run time: listed below
				used[m[1]] = js
			}
		}
	}
	for _, st := range []string{"running", "ok", "failed"} { // t('state.' + run.state)
		used["state."+st] = "app.js"
	}
	if len(used) < 50 {
		t.Fatalf("found only %d keys in use: the patterns no longer match the page", len(used))
	}
	for k, where := range used {
		for _, l := range i18n.Langs {
			if served[string(l)][k] == "" {
				t.Errorf("%s uses %q, which /i18n.json lacks in %s", where, k, l)
			}
		}
	}
	if served["fr"]["send.btn"] != "Envoyer" || served["en"]["send.btn"] != "Send" {
		t.Errorf("send.btn: %q / %q", served["fr"]["send.btn"], served["en"]["send.btn"])
	}
}
