package experiment

import "context"

// brokerRestart stops and starts the brokers in turn, broker i%n+1 at
// step i.
func brokerRestart(ctx context.Context, f *Faults, i int) (bool, error) {
	if err := f.Restart(ctx, i%f.Brokers()+1); err != nil && ctx.Err() == nil {
		return false, err
	}
	return ctx.Err() == nil, nil
}
