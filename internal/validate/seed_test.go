package validate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/target/targettest"
	"github.com/prodlab/prodlab/internal/validate"
)

// TestValidateSeedContract validates an API whose records carry the eventId
// only in their JSON value, as the seed's: its copies are counted, and its
// windows end as soon as the broker holds the record and the request timed
// out, not at the 17 s deadline.
func TestValidateSeedContract(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 3, nil)
	tg := targettest.Of(t, l, topic, target.APIs(validate.API{Name: "seed", URL: labtest.SeedAPI(t, l)}))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := newValidator(t, l, tg, "").Run(ctx)
	var out strings.Builder
	_ = rep.WriteText(&out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	if got := rep.Summary(); got != "OK: seed_idempotent=1 seed_plain=2" {
		t.Fatalf("summary %q, want OK: seed_idempotent=1 seed_plain=2", got)
	}
	for _, r := range rep.Runs {
		if limit := tg.RequestTimeout() + 5*time.Second; r.Window > limit {
			t.Errorf("%s: the window lasted %v, more than %v: it did not end on the record it saw", r.Name(), r.Window, limit)
		}
		got := labtest.Count(t, l, topic, r.EventID)
		if len(got) != len(r.Copies) {
			t.Errorf("%s: the report has %d copies, the log %d", r.Name(), len(r.Copies), len(got))
		}
		for _, rec := range got {
			if len(rec.Headers) != 0 {
				t.Errorf("%s: a record with headers %v: the test must write none", r.Name(), rec.Headers)
			}
		}
	}
}
