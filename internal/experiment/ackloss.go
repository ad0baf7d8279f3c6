package experiment

import "context"

// ackLoss loses acknowledgements: requests reach the brokers, their
// answers are held until every producer timed out, then released. It holds
// (latency) rather than drops (a timeout toxic): under dropped answers
// franz-go fails its reconnections' ApiVersions instead of retrying the
// produce.
func ackLoss(ctx context.Context, f *Faults, _ int) error {
	return window(ctx, f, f.Hold,
		toxic{"ack-loss", "latency", "downstream", map[string]any{"latency": (10 * f.Hold).Milliseconds(), "jitter": 0}})
}
