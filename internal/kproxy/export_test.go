package kproxy

// Exempt marks addr as a proxy's address: answers keep it.
func (r *Relay) Exempt(addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.proxied[addr] = true
}
