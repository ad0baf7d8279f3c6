package progress

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// fifo is a map bounded to max entries: adding past max forgets the
// oldest key.
type fifo[V any] struct {
	m     map[string]V
	order []string
	max   int
}

func newFIFO[V any](max int) *fifo[V] { return &fifo[V]{m: map[string]V{}, max: max} }

func (f *fifo[V]) put(k string, v V) {
	if _, ok := f.m[k]; !ok {
		f.order = append(f.order, k)
	}
	f.m[k] = v
	for len(f.order) > f.max {
		delete(f.m, f.order[0])
		f.order = f.order[1:]
	}
}

func (f *fifo[V]) del(k string) {
	if i := slices.Index(f.order, k); i >= 0 {
		delete(f.m, k)
		f.order = slices.Delete(f.order, i, i+1)
	}
}

// inner returns the map at k in f, added empty if missing.
func inner[K comparable, V any](f *fifo[map[K]V], k string) map[K]V {
	m, ok := f.m[k]
	if !ok {
		m = map[K]V{}
		f.put(k, m)
	}
	return m
}

// list is the sorted partitions of ps, as text: "0, 1, 2".
func list(ps map[int32]bool) string {
	keys := slices.Sorted(maps.Keys(ps))
	s := make([]string, len(keys))
	for i, p := range keys {
		s[i] = strconv.Itoa(int(p))
	}
	return strings.Join(s, ", ")
}
