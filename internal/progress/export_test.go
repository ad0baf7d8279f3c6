package progress

import "time"

// CompactionAge is how long a key's three versions are followed, default
// 30 minutes.
func CompactionAge(d time.Duration) Opt { return func(c *cfg) { c.compactAge = d } }

// CompactReads returns how many records r's compaction checks read.
func CompactReads(r *Recorder) int64 { return r.compactReads.Load() }

// Candidates returns how many keys r follows for compaction.
func Candidates(r *Recorder) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.compactions.len()
}

func (f *fifo[V]) len() int { return len(f.m) }
