package experiment

import "context"

// brokerRestart stops and starts the brokers in turn, broker i%n+1 at
// step i.
func brokerRestart(ctx context.Context, f *Faults, i int) error {
	if err := f.Restart(ctx, i%f.Brokers()+1); ctx.Err() == nil {
		return err
	}
	return nil // the restart was cut short
}
