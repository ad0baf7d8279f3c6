package experiment

import "context"

// mixed takes turns through the other schedules' faults, broker restarts
// included when there is a Restarter.
func mixed(ctx context.Context, f *Faults, i int) error {
	steps := []step{ackLoss, resetPeer, latency, slicer, bandwidth}
	if f.Brokers() > 0 {
		steps = append(steps, brokerRestart)
	}
	return steps[i%len(steps)](ctx, f, i/len(steps))
}
