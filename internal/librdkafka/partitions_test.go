//go:build cgo

package librdkafka

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/franz"
)

// TestPartitions: both engines read a topic's partition count, and call an
// unknown topic ErrUnknownTopic, through the producers' bootstrap or
// through Config.Metadata when it is set.
func TestPartitions(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "t"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for _, eng := range []struct {
		name string
		new  func(prodlab.Config) (prodlab.Producer, error)
	}{{"franz", franz.New}, {"librdkafka", New}} {
		for _, viaMetadata := range []bool{false, true} {
			cfg := prodlab.DefaultConfig()
			cfg.Bootstrap = c.ListenAddrs()
			if viaMetadata {
				cfg.Bootstrap = []string{"127.0.0.1:1"} // never answers: the count must come from Metadata
				cfg.Metadata = c.ListenAddrs()
			}
			e, err := eng.new(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if n, err := e.Partitions(ctx, "t"); n != 3 || err != nil {
				t.Errorf("%s (metadata %v): Partitions(t) = %d, %v; want 3", eng.name, viaMetadata, n, err)
			}
			if _, err := e.Partitions(ctx, "absent"); !errors.Is(err, prodlab.ErrUnknownTopic) {
				t.Errorf("%s (metadata %v): Partitions(absent) = %v; want ErrUnknownTopic", eng.name, viaMetadata, err)
			}
			cancel()
			e.Close()
		}
	}
}
