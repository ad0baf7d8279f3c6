package progress

// CompactReads returns how many records r's compaction checks read.
func CompactReads(r *Recorder) int64 { return r.compactReads.Load() }

// Candidates returns how many keys r follows for compaction.
func Candidates(r *Recorder) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.compactions.len()
}
