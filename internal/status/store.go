// Package status keeps the state of async sends in a bounded store.
package status

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
	"unique"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/i18n"
)

// ErrFull means every slot holds a pending send: nothing can be evicted.
var ErrFull = errors.New("status store is full of pending sends")

// ErrNotFound means the request id is unknown or was evicted.
var ErrNotFound = errors.New("unknown requestId")

// Store maps request ids to send states. It holds at most MaxEntries ids;
// finished entries expire after TTL or, when the store is full, go oldest
// first; pending ones stay. Entries are values in one slice, linked by index
// (the collector marks one string each), and an id names its slot: no index.
type Store struct {
	cfg cfg

	mu         sync.Mutex
	size       int // entries held
	slots      []entry
	free       int32 // first free slot, chained by next; none: -1
	head, tail int32 // finished entries, oldest first; none: -1
	pending    int
	evicted    uint64 // finished entries dropped to make room
	expired    uint64 // finished entries dropped at their TTL
}

type entry struct {
	prodlab.Status
	id   string // shares one allocation with EventID
	done int64  // finish time in Unix nanoseconds; 0 while pending
	next int32  // in the finished queue or the free list
}

type cfg struct {
	maxEntries int
	ttl        time.Duration
	now        func() time.Time // tests replace it
}

// Opt configures a Store.
type Opt func(*cfg)

// MaxEntries caps the number of ids held, default 100000.
func MaxEntries(n int) Opt { return func(c *cfg) { c.maxEntries = n } }

// TTL is how long a finished entry stays readable, default 10 minutes.
func TTL(d time.Duration) Opt { return func(c *cfg) { c.ttl = d } }

// New returns an empty Store.
func New(opts ...Opt) (*Store, error) {
	c := cfg{maxEntries: 100000, ttl: 10 * time.Minute, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	if c.maxEntries < 1 || c.maxEntries > 1<<30 {
		return nil, i18n.Errorf("status.maxEntries", "n", c.maxEntries)
	}
	if c.ttl <= 0 {
		return nil, i18n.Errorf("status.ttl", "d", c.ttl)
	}
	return &Store{cfg: c, free: -1, head: -1, tail: -1}, nil
}

// Ticket is a pending id as the store recorded it: Done finishes it
// without looking it up.
type Ticket struct {
	slot int32
	id   string // the store's copy; "" in the zero Ticket
}

// ID returns t's id, "" for the zero Ticket.
func (t Ticket) ID() string { return t.id }

// Issue records a pending send of eventID under a new id, 32 hex digits that
// name its slot (an index of random ids was a tenth of the async API's CPU).
// It returns ErrFull when the store holds MaxEntries pending sends.
func (s *Store) Issue(eventID string) (Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.now().UnixNano()
	s.expire(now)
	if s.size >= s.cfg.maxEntries {
		if s.head < 0 {
			return Ticket{}, ErrFull
		}
		s.remove(s.head)
		s.evicted++
	}
	i := s.free
	if i >= 0 {
		s.free = s.slots[i].next
	} else {
		i = int32(len(s.slots))
		s.slots = append(s.slots, entry{})
	}
	var r [16]byte // the slot, then 12 random bytes
	binary.BigEndian.PutUint32(r[:4], uint32(i))
	_, _ = rand.Read(r[4:])
	var h [32]byte
	hex.Encode(h[:], r[:])
	// A copy: an eventId parsed from a URL shares the request line's memory.
	var b strings.Builder
	b.Grow(len(h) + len(eventID))
	b.Write(h[:])
	b.WriteString(eventID)
	both := b.String()
	s.slots[i] = entry{Status: prodlab.Status{State: prodlab.Pending, EventID: both[32:]}, id: both[:32], next: -1}
	s.size++
	s.pending++
	return Ticket{i, both[:32]}, nil
}

// Done records the outcome of t's send, unless it finished or left the
// store; the zero Ticket is ignored.
func (s *Store) Done(t Ticket, d prodlab.Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.id == "" || s.slots[t.slot].id != t.id || s.slots[t.slot].done != 0 {
		return // forgotten, evicted, expired or finished
	}
	e := &s.slots[t.slot]
	// Interned: an engine may hand each delivery its own copy of the name.
	e.done, e.Topic, e.Partition, e.Offset, e.State = max(s.cfg.now().UnixNano(), 1), unique.Make(d.Topic).Value(), d.Partition, d.Offset, prodlab.OK
	if d.Err != nil {
		e.State, e.Err = prodlab.Failed, d.Err.Error()
	}
	if s.tail >= 0 {
		s.slots[s.tail].next = t.slot
	} else {
		s.head = t.slot
	}
	s.tail = t.slot
	s.pending--
}

// Forget drops id while it is pending, for a send that never started.
func (s *Store) Forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.find(id); ok && s.slots[i].done == 0 {
		s.remove(i)
	}
}

// Get returns the status of id, or ErrNotFound.
func (s *Store) Get(id string) (prodlab.Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(s.cfg.now().UnixNano())
	i, ok := s.find(id)
	if !ok {
		return prodlab.Status{}, ErrNotFound
	}
	return s.slots[i].Status, nil
}

// Counts returns how many entries are pending and finished.
func (s *Store) Counts() (pending, finished int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending, s.size - s.pending
}

// Evictions returns how many finished entries were dropped to make room
// (full) and at their TTL (expired); expiry runs on Issue and Get.
func (s *Store) Evictions() (full, expired uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evicted, s.expired
}

// MaxEntries returns the store's capacity.
func (s *Store) MaxEntries() int { return s.cfg.maxEntries }

// Pending maps the requestId of every pending send to its eventId.
func (s *Store) Pending() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]string, s.pending)
	for _, e := range s.slots {
		if e.State == prodlab.Pending { // "" in a free slot
			m[e.id] = e.EventID
		}
	}
	return m
}

// find returns the slot that id names.
func (s *Store) find(id string) (int32, bool) {
	n, err := strconv.ParseUint(id[:min(len(id), 8)], 16, 32)
	return int32(n), err == nil && len(id) == 32 && n < uint64(len(s.slots)) && s.slots[n].id == id
}

func (s *Store) expire(now int64) {
	for s.head >= 0 && now-s.slots[s.head].done >= int64(s.cfg.ttl) {
		s.remove(s.head)
		s.expired++
	}
}

// remove frees slot i, pending or the head of the finished queue (finished
// entries leave in order, so the queue needs no back links).
func (s *Store) remove(i int32) {
	e := &s.slots[i]
	s.size--
	if e.done == 0 {
		s.pending--
	} else if s.head = e.next; s.head < 0 {
		s.tail = -1
	}
	*e = entry{next: s.free}
	s.free = i
}
