package franz

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/prodlab/prodlab"
)

// TestPartitionsRecreated: a topic deleted and recreated with another count
// is read at once (kadm's 5 s metadata cache kept the old count), and a
// deleted one is unknown.
func TestPartitionsRecreated(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := prodlab.DefaultConfig()
	cfg.Bootstrap = c.ListenAddrs()
	m, err := NewMetadata(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	adm := kadm.NewClient(m.cl) // the same client: its metadata cache is the one at stake
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if n, err := m.Partitions(ctx, "t"); n != 3 || err != nil {
		t.Fatalf("Partitions = %d, %v; want 3", n, err)
	}
	if _, err := adm.DeleteTopic(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Partitions(ctx, "t"); !errors.Is(err, prodlab.ErrUnknownTopic) {
		t.Fatalf("Partitions of a deleted topic: %v, want ErrUnknownTopic", err)
	}
	if _, err := adm.CreateTopic(ctx, 6, 1, nil, "t"); err != nil {
		t.Fatal(err)
	}
	if n, err := m.Partitions(ctx, "t"); n != 6 || err != nil {
		t.Fatalf("Partitions of the recreated topic = %d, %v; want 6", n, err)
	}
}
