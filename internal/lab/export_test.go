package lab

import (
	"context"

	"github.com/prodlab/prodlab"
)

// DiscoverUpstreams asks an external cluster, through its direct bootstrap
// and with the client settings client, for the proxied listeners Open
// would give its proxies (layoutUpstreams).
func DiscoverUpstreams(ctx context.Context, direct []string, client prodlab.ClientProps) ([]string, error) {
	resp, err := metadata(ctx, direct, client)
	if err != nil {
		return nil, err
	}
	return layoutUpstreams(resp, direct)
}

// ToxiproxyRestarts counts how many times Toxiproxy's child process was
// restarted after it crashed or wedged.
func (l *Lab) ToxiproxyRestarts() int { return l.toxi.Restarts() }
