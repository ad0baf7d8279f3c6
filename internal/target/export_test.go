package target

import "time"

// RetryBackoff returns the producers' retry backoff.
func (t *Target) RetryBackoff() time.Duration { return t.retryBackoff }
