package api_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/direct/directtest"
	"github.com/prodlab/prodlab/internal/metrics"
	"github.com/prodlab/prodlab/internal/progress"
	"github.com/prodlab/prodlab/internal/status"
)

// BenchmarkSendObserved measures a sync send through Routes(), and through
// the lab's fasthttp handler (/fasthttp), over the fake engine, bare and
// with the lab's two observers (metrics and the progress record), side by
// side: the cost of api.Observe on the hot path.
func BenchmarkSendObserved(b *testing.B) {
	store, err := status.New()
	if err != nil {
		b.Fatal(err)
	}
	eng := &fakeEngine{}
	m := metrics.New(eng, store)
	rec, err := progress.New(progress.Engines(eng.Name()), progress.Direct(directtest.Path(b, "127.0.0.1:1")),
		progress.Logger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(rec.Close)
	for _, c := range []struct {
		name string
		opts []api.Opt
	}{
		{"bare", nil},
		{"metrics+progress", []api.Opt{api.Observe(m.Observe), api.Observe(rec.API)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := fakeRoutes(b, eng, c.opts...)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				r := httptest.NewRequest("POST", "/api/v1/send?mode=plain&eventId=e"+strconv.Itoa(i)+"&key=k"+strconv.Itoa(i%64), nil)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatalf("answer %d: %s", w.Code, w.Body)
				}
				if i%4096 == 0 {
					eng.take() // keep the fake's record of sends bounded
				}
			}
		})
		// The same send on the fasthttp handler the lab serves, one
		// request context reused as fasthttp's server does.
		for _, sm := range []string{"sync", "async"} {
			b.Run(c.name+"/fasthttp/"+sm, func(b *testing.B) {
				h := fakeRoutes(b, eng, c.opts...).(fastRoutes)
				want := map[string]int{"sync": 200, "async": 202}[sm]
				var (
					req fasthttp.Request
					ctx fasthttp.RequestCtx
				)
				req.Header.SetMethod("POST")
				req.Header.SetHost("127.0.0.1")
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					i++
					req.SetRequestURI("/api/v1/send?mode=plain&sendMode=" + sm + "&eventId=e" + strconv.Itoa(i) + "&key=k" + strconv.Itoa(i%64))
					ctx.Init(&req, nil, nil)
					h.fast(&ctx)
					if ctx.Response.StatusCode() != want {
						b.Fatalf("answer %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
					}
					if i%4096 == 0 {
						eng.take()
					}
				}
			})
		}
	}
}
