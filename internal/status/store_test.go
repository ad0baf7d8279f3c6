package status

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newStore(t *testing.T, opts ...Opt) *Store {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// issue is Issue that fails t on an error.
func issue(t testing.TB, s *Store, eventID string) Ticket {
	t.Helper()
	tk, err := s.Issue(eventID)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestLifecycle(t *testing.T) {
	s := newStore(t)
	a := issue(t, s, "ev-a")
	st, err := s.Get(a.ID())
	if err != nil || st.State != prodlab.Pending || st.EventID != "ev-a" {
		t.Fatalf("got %+v, %v; want PENDING", st, err)
	}
	s.Done(a, prodlab.Delivery{Topic: "t", Partition: 2, Offset: 7})
	st, _ = s.Get(a.ID())
	if st.State != prodlab.OK || st.Partition != 2 || st.Offset != 7 || st.Topic != "t" {
		t.Fatalf("got %+v, want OK t/2@7", st)
	}
	b := issue(t, s, "ev-b")
	s.Done(b, prodlab.Delivery{Err: errors.New("boom")})
	if st, _ := s.Get(b.ID()); st.State != prodlab.Failed || st.Err != "boom" {
		t.Fatalf("got %+v, want ERROR boom", st)
	}
	if _, err := s.Get("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: got %v", err)
	}
}

// TestIssue: Issue's ids are new, 32 hex digits, found by Get and Forget;
// Done finishes the id its Ticket was issued for, and nothing once that id
// is gone, even when its slot holds another.
func TestIssue(t *testing.T) {
	s := newStore(t)
	ta, err := s.Issue("ev-a")
	if err != nil || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(ta.ID()) {
		t.Fatalf("Issue: %+v, %v", ta, err)
	}
	if st, err := s.Get(ta.ID()); err != nil || st.State != prodlab.Pending || st.EventID != "ev-a" {
		t.Fatalf("Get: %+v, %v; want PENDING ev-a", st, err)
	}
	s.Done(ta, prodlab.Delivery{Topic: "t", Partition: 1, Offset: 3})
	s.Done(ta, prodlab.Delivery{Err: errors.New("late")}) // finished already: ignored
	if st, _ := s.Get(ta.ID()); st.State != prodlab.OK || st.Offset != 3 {
		t.Fatalf("a: got %+v, want OK at offset 3", st)
	}
	tb, _ := s.Issue("ev-b")
	s.Forget(tb.ID())
	tc, err := s.Issue("ev-c") // takes b's slot
	if err != nil || tc.ID() == tb.ID() || tc.ID()[:8] != tb.ID()[:8] {
		t.Fatalf("c: %+v, %v; want b's slot under a new id (b: %s)", tc, err, tb.ID())
	}
	s.Done(tb, prodlab.Delivery{Offset: 9})
	s.Done(Ticket{}, prodlab.Delivery{Offset: 9})
	if _, err := s.Get(tb.ID()); err != ErrNotFound {
		t.Fatalf("b after Forget: %v, want ErrNotFound", err)
	}
	if st, _ := s.Get(tc.ID()); st.State != prodlab.Pending {
		t.Fatalf("c: got %+v, want PENDING: a stale or zero Ticket finished it", st)
	}
	if p, f := s.Counts(); p != 1 || f != 1 || len(s.Pending()) != 1 || s.Pending()[tc.ID()] != "ev-c" {
		t.Fatalf("counts %d pending, %d finished, pending %v; want 1, 1, c", p, f, s.Pending())
	}
	s.Done(tc, prodlab.Delivery{})
	if st, _ := s.Get(tc.ID()); st.State != prodlab.OK {
		t.Fatalf("c after Done: %+v, want OK", st)
	}
}

func TestEvictsOldestFinishedFirst(t *testing.T) {
	s := newStore(t, MaxEntries(3))
	tk := map[string]Ticket{}
	for _, id := range []string{"p", "f1", "f2"} {
		tk[id] = issue(t, s, id)
	}
	s.Done(tk["f2"], prodlab.Delivery{})
	s.Done(tk["f1"], prodlab.Delivery{}) // f2 finished first, so it goes first
	tk["n1"] = issue(t, s, "n1")
	if _, err := s.Get(tk["f2"].ID()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("f2 should be evicted, got %v", err)
	}
	for _, id := range []string{"p", "f1", "n1"} {
		if _, err := s.Get(tk[id].ID()); err != nil {
			t.Fatalf("%s evicted too early: %v", id, err)
		}
	}
	issue(t, s, "n2") // evicts f1
	if _, err := s.Issue("n3"); !errors.Is(err, ErrFull) {
		t.Fatalf("all pending: got %v, want ErrFull", err)
	}
	if p, f := s.Counts(); p != 3 || f != 0 {
		t.Fatalf("counts = %d pending %d finished, want 3/0", p, f)
	}
	if full, expired := s.Evictions(); full != 2 || expired != 0 {
		t.Fatalf("evictions = %d full %d expired, want 2/0", full, expired)
	}
}

func TestTTL(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	s := newStore(t, TTL(time.Minute))
	s.cfg.now = clk.now
	a, pending := issue(t, s, "a"), issue(t, s, "pending")
	s.Done(a, prodlab.Delivery{})
	clk.t = clk.t.Add(59 * time.Second)
	if _, err := s.Get(a.ID()); err != nil {
		t.Fatalf("expired early: %v", err)
	}
	clk.t = clk.t.Add(2 * time.Second)
	if _, err := s.Get(a.ID()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("not expired: %v", err)
	}
	if _, err := s.Get(pending.ID()); err != nil {
		t.Fatalf("pending entries never expire: %v", err)
	}
	if full, expired := s.Evictions(); full != 0 || expired != 1 {
		t.Fatalf("evictions = %d full %d expired, want 0/1", full, expired)
	}
}

func TestBoundedUnderLoad(t *testing.T) {
	s := newStore(t, MaxEntries(1000))
	var last Ticket
	for i := range 100000 {
		last = issue(t, s, fmt.Sprint(i))
		s.Done(last, prodlab.Delivery{})
	}
	if p, f := s.Counts(); p+f != 1000 || len(s.slots) != 1000 {
		t.Fatalf("store holds %d in %d slots, want 1000", p+f, len(s.slots))
	}
	if st, err := s.Get(last.ID()); err != nil || st.State != prodlab.OK {
		t.Fatalf("newest issued entry: %+v, %v", st, err)
	}
}

func TestOptionsValidated(t *testing.T) {
	if _, err := New(MaxEntries(0)); err == nil {
		t.Fatal("MaxEntries(0) accepted")
	}
	if _, err := New(TTL(0)); err == nil {
		t.Fatal("TTL(0) accepted")
	}
}

// BenchmarkGCFullStore measures one garbage collection with a full store of
// finished sends, the async API's steady state: the store's share of every
// collection's marking. go test -run '^$' -bench GCFullStore ./internal/status
func BenchmarkGCFullStore(b *testing.B) {
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	for i := range s.MaxEntries() {
		s.Done(issue(b, s, fmt.Sprintf("event-%032x", i)), prodlab.Delivery{Topic: "bhf-transactions", Partition: 1, Offset: int64(i)})
	}
	for b.Loop() {
		runtime.GC()
	}
	runtime.KeepAlive(s)
}
