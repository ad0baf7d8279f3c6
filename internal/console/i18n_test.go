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

// TestErrorsSpeakThePageLanguage: the sentences of the console's error
// answers, which the page shows, come from the catalogue in the language
// the page sends in Accept-Language, else in the process's.
func TestErrorsSpeakThePageLanguage(t *testing.T) {
	c, err := New() // no Toxiproxy, no API, no Kafka
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.Routes())
	t.Cleanup(srv.Close)
	call := func(method, path, body, lang string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct{ Error string }
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, e.Error
	}
	for _, tc := range []struct {
		method, path, body string
		code               int
		id                 string
		args               []any
	}{
		{"GET", "/api/proxies", "", http.StatusServiceUnavailable, "console.err.noToxiproxy", nil},
		{"POST", "/api/proxies/kafka/toxics", `{"type":"slow_close"}`, http.StatusBadRequest, "console.err.toxicType", []any{"type", `"slow_close"`}},
		{"POST", "/api/proxies/kafka/toxics", `{"type":"latency","attributes":{"latency":99999999}}`, http.StatusBadRequest, "console.err.toxicRange", []any{"attr", "latency", "value", 99999999, "max", MaxToxicMillis}},
		{"POST", "/api/send?engine=franz", "", http.StatusServiceUnavailable, "console.err.noAPI", nil},
		{"GET", "/api/cluster", "", http.StatusServiceUnavailable, "console.err.noKafka", nil},
		{"GET", "/api/progress?x=1", "", http.StatusBadRequest, "console.err.noParams", []any{"param", "x"}},
		{"GET", "/api/runs/current?x=1", "", http.StatusBadRequest, "console.err.noParams", []any{"param", "x"}},
		{"GET", "/api/messages?limit=zero", "", http.StatusBadRequest, "console.err.notInt", []any{"param", "limit", "value", `"zero"`}},
	} {
		for _, l := range []struct {
			header string
			lang   i18n.Lang
		}{{"fr-FR,fr;q=0.9,en;q=0.5", i18n.FR}, {"fr", i18n.FR}, {"en", i18n.EN}, {"en-GB,fr;q=0.8", i18n.EN}, {"", i18n.Current()}, {"de", i18n.Current()}} {
			code, got := call(tc.method, tc.path, tc.body, l.header)
			if want := i18n.M(tc.id, tc.args...).In(l.lang); code != tc.code || got != want {
				t.Errorf("%s %s (Accept-Language %q): %d %q, want %d %q", tc.method, tc.path, l.header, code, got, tc.code, want)
			}
		}
	}
	if fr, en := i18n.M("console.err.noToxiproxy").In(i18n.FR), i18n.M("console.err.noToxiproxy").In(i18n.EN); fr == en {
		t.Errorf("console.err.noToxiproxy is the same in both languages: %q", fr)
	}
}
