package console

import "time"

// RecordsPerPartition bounds the records kept per partition, default 5000.
func RecordsPerPartition(n int) Opt { return func(c *cfg) { c.perPartition = n } }

// Timeout bounds each read of the cluster and each Toxiproxy call,
// default 10s.
func Timeout(d time.Duration) Opt { return func(c *cfg) { c.timeout = d } }
