// Package status keeps the state of async sends in a bounded store.
package status

import (
	"errors"
	"strings"
	"sync"
	"time"
	"unique"

	"github.com/prodlab/prodlab"
)

// ErrFull means every slot holds a pending send: nothing can be evicted.
var ErrFull = errors.New("status store is full of pending sends")

// ErrNotFound means the request id is unknown or was evicted.
var ErrNotFound = errors.New("unknown requestId")

// Store maps request ids to send states. It holds at most MaxEntries ids;
// finished entries expire after TTL, and when the store is full the oldest
// finished entry is evicted first. Pending entries are never evicted.
type Store struct {
	cfg cfg

	mu       sync.Mutex
	entries  map[string]*entry
	finished queue // oldest finish first
	pending  int
	evicted  uint64 // finished entries dropped to make room
	expired  uint64 // finished entries dropped at their TTL
}

type entry struct {
	id     string
	status prodlab.Status
	done   bool   // in finished
	prev   *entry // in finished
	next   *entry
}

// queue is the finished entries, oldest first, threaded through the
// entries: container/list would double the objects the collector marks.
type queue struct {
	head, tail *entry
	n          int
}

func (q *queue) pushBack(e *entry) {
	e.prev, e.next, e.done = q.tail, nil, true
	if q.tail != nil {
		q.tail.next = e
	} else {
		q.head = e
	}
	q.tail = e
	q.n++
}

func (q *queue) remove(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		q.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		q.tail = e.prev
	}
	e.prev, e.next, e.done = nil, nil, false
	q.n--
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
	if c.maxEntries < 1 {
		return nil, errors.New("status: MaxEntries must be at least 1")
	}
	if c.ttl <= 0 {
		return nil, errors.New("status: TTL must be positive")
	}
	return &Store{cfg: c, entries: make(map[string]*entry)}, nil
}

// Add records id as pending. It returns ErrFull when the store holds
// MaxEntries pending sends.
func (s *Store) Add(id, eventID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.now()
	s.expire(now)
	if len(s.entries) >= s.cfg.maxEntries {
		front := s.finished.head
		if front == nil {
			return ErrFull
		}
		s.remove(front)
		s.evicted++
	}
	// One copy holds both: an eventId parsed from a URL shares the request
	// line's memory.
	if id != "" && eventID != "" {
		both := id + eventID
		id, eventID = both[:len(id)], both[len(id):]
	} else { // a + "" is a itself: no copy
		id, eventID = strings.Clone(id), strings.Clone(eventID)
	}
	s.entries[id] = &entry{id: id, status: prodlab.Status{State: prodlab.Pending, EventID: eventID, Created: now}}
	s.pending++
	return nil
}

// Finish records the outcome of a pending id. Unknown ids are ignored.
func (s *Store) Finish(id string, d prodlab.Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok || e.done {
		return
	}
	st := &e.status
	st.Finished = s.cfg.now()
	// Interned: an engine may hand each delivery its own copy of the name.
	st.Topic, st.Partition, st.Offset = unique.Make(d.Topic).Value(), d.Partition, d.Offset
	st.State = prodlab.OK
	if d.Err != nil {
		st.State, st.Err = prodlab.Failed, d.Err.Error()
	}
	s.finished.pushBack(e)
	s.pending--
}

// Forget drops id whatever its state, for a send that never started.
func (s *Store) Forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[id]; ok {
		s.remove(e)
	}
}

// Get returns the status of id, or ErrNotFound.
func (s *Store) Get(id string) (prodlab.Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(s.cfg.now())
	e, ok := s.entries[id]
	if !ok {
		return prodlab.Status{}, ErrNotFound
	}
	return e.status, nil
}

// Counts returns how many entries are pending and finished.
func (s *Store) Counts() (pending, finished int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending, s.finished.n
}

// Evictions returns how many finished entries were dropped to make room
// (full) and at their TTL (expired); expiry runs on Add and Get.
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
	for id, e := range s.entries {
		if !e.done {
			m[id] = e.status.EventID
		}
	}
	return m
}

func (s *Store) expire(now time.Time) {
	for e := s.finished.head; e != nil; e = s.finished.head {
		if now.Sub(e.status.Finished) < s.cfg.ttl {
			return
		}
		s.remove(e)
		s.expired++
	}
}

func (s *Store) remove(e *entry) {
	delete(s.entries, e.id)
	if e.done {
		s.finished.remove(e)
	} else {
		s.pending--
	}
}
