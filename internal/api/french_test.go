package api_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/labtest"
)

// TestErrorBodiesFollowLanguage checks that the API's error bodies are in
// the process's language: French after i18n.Set(i18n.FR), as `prodlab up`
// does in a French locale, English otherwise; the JSON shape, field and
// status stay, and the client's own text inside is kept as it says it.
func TestErrorBodiesFollowLanguage(t *testing.T) {
	defer i18n.Set(i18n.EN)
	for _, c := range []struct {
		lang                                 i18n.Lang
		mode, pair, topic, method, sent, out string
	}{{
		lang:   i18n.FR,
		mode:   `le mode "fast" n'est pas permis : plain ou idempotent`,
		pair:   `la paire de requête "eventId=a;b" contient un ';' : écrivez-le %3B`,
		topic:  "le topic nope n'existe pas",
		method: "la méthode GET n'est pas permise : utilisez POST",
		sent:   "échec de l'envoi : Local: Message timed out",
		out:    "pas de réponse de Kafka en 50ms : le résultat est inconnu ; l'envoi continue : GET /api/v1/status?requestId=",
	}, {
		lang:   i18n.EN,
		mode:   `mode "fast" is not allowed: plain or idempotent`,
		pair:   `query pair "eventId=a;b" holds a ';': write it %3B`,
		topic:  "topic nope does not exist",
		method: "method GET is not allowed: use POST",
		sent:   "send failed: Local: Message timed out",
		out:    "no answer from Kafka within 50ms: the outcome is unknown; the send goes on: GET /api/v1/status?requestId=",
	}} {
		t.Run(string(c.lang), func(t *testing.T) {
			i18n.Set(c.lang)
			_, h := parseAPI(t)
			for _, q := range []struct {
				method, target string
				code           int
				field, want    string
			}{
				{"POST", "/api/v1/send?mode=fast&eventId=e", 400, "mode", c.mode},
				{"POST", "/api/v1/send?mode=plain&eventId=a;b", 400, "eventId", c.pair},
				{"POST", "/api/v1/send?mode=plain&eventId=e&topic=nope", 404, "topic", c.topic},
				{"GET", "/api/v1/send?mode=plain&eventId=e", 405, "", c.method},
			} {
				w := serve(t, h, q.method, q.target)
				if got := errorText(t, w.Code, w.Body.Bytes(), q.code, q.field); got != q.want {
					t.Errorf("%s %s: %q, want %q", q.method, q.target, got, q.want)
				}
			}

			// A delivery the client failed: 502 with the client's text.
			held := &fakeEngine{hold: true}
			hh := fakeRoutes(t, held)
			done := make(chan []byte, 1)
			codes := make(chan int, 1)
			go func() {
				w := serve(t, hh, "POST", "/api/v1/send?mode=plain&eventId=F")
				codes <- w.Code
				done <- w.Body.Bytes()
			}()
			held.waitHeld(t, 1)
			held.release(prodlab.Delivery{Err: errors.New("Local: Message timed out")})
			if got := errorText(t, <-codes, <-done, 502, ""); got != c.sent {
				t.Errorf("502: %q, want %q", got, c.sent)
			}

			// No answer within the sync bound: 504, the requestId kept.
			slow := &fakeEngine{hold: true}
			w := serve(t, fakeRoutes(t, slow, api.SyncTimeout(50*time.Millisecond)), "POST", "/api/v1/send?mode=plain&eventId=S")
			got := errorText(t, w.Code, w.Body.Bytes(), 504, "")
			var body struct{ RequestID string }
			_ = json.Unmarshal(w.Body.Bytes(), &body)
			if body.RequestID == "" || got != c.out+body.RequestID+map[i18n.Lang]string{i18n.FR: " le donne", i18n.EN: " gives it"}[c.lang] {
				t.Errorf("504: %q (requestId %q), want %q…", got, body.RequestID, c.out)
			}
			if n := slow.release(prodlab.Delivery{Topic: prodlab.DefaultTopic}); n != 1 {
				t.Errorf("%d deliveries held, want 1", n)
			}
		})
	}
}

// errorText checks raw is an error body with code and field, and returns
// its sentence.
func errorText(t *testing.T, code int, raw []byte, wantCode int, wantField string) string {
	t.Helper()
	labtest.CheckError(t, code, raw, wantCode, wantField)
	var e httpjson.ErrorBody
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(e.Error) != e.Error {
		t.Errorf("error %q has surrounding space", e.Error)
	}
	return e.Error
}
