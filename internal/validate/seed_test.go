package validate_test

import (
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/target/targettest"
)

// TestValidateSeedContract validates an API whose records carry the eventId
// only in their JSON value, as the seed's: its copies are counted, and its
// windows end as soon as the broker holds the record and the request timed
// out, not at the 17 s deadline.
func TestValidateSeedContract(t *testing.T) {
	l := labtest.Start(t)
	tg := targettest.Of(t, l, labtest.Topic(t, l, 3, nil), target.APIs(target.API{Name: "seed", URL: labtest.SeedAPI(t, l)}))
	rep, _ := runValidate(t, l, tg)
	if got := rep.Summary(); got != "OK: seed_idempotent=1 seed_plain=2" {
		t.Fatalf("summary %q, want OK: seed_idempotent=1 seed_plain=2", got)
	}
	for _, r := range rep.Runs {
		if limit := tg.RequestTimeout() + 5*time.Second; r.Window > limit {
			t.Errorf("%s: the window lasted %v, more than %v: it did not end on the record it saw", r.Name(), r.Window, limit)
		}
		for _, rec := range labtest.Count(t, l, tg.Topic(), r.EventID) {
			if len(rec.Headers) != 0 {
				t.Errorf("%s: a record with headers %v: the test must write none", r.Name(), rec.Headers)
			}
		}
	}
}
