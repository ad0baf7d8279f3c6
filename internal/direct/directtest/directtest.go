// Package directtest makes direct paths for tests.
package directtest

import (
	"testing"

	"github.com/prodlab/prodlab/internal/direct"
)

// Path returns a direct path on addrs, without bypass or client settings;
// it fails t if direct.New refuses them.
func Path(t testing.TB, addrs ...string) *direct.Path {
	t.Helper()
	p, err := direct.New(direct.Bootstrap(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
