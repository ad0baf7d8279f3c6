package direct_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/direct/directtest"
)

// TestRange writes 10 records to each of 2 partitions of a kfake broker,
// then reads sub-ranges back: every record once, in order, nothing outside.
func TestRange(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	path := directtest.Path(t, c.ListenAddrs()...)
	cl, err := path.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for p := range int32(2) {
		for i := range 10 {
			r := &kgo.Record{Topic: "t", Partition: p, Value: []byte(strconv.Itoa(i)),
				Headers: []kgo.RecordHeader{{Key: prodlab.HeaderEventID, Value: []byte("e" + strconv.Itoa(int(p)) + "-" + strconv.Itoa(i))}}}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	adm := kadm.NewClient(cl)
	ends, err := direct.EndOffsets(ctx, adm, "t")
	if err != nil || ends[0] != 10 || ends[1] != 10 {
		t.Fatalf("EndOffsets = %v, %v; want 10 and 10", ends, err)
	}
	if _, err := direct.EndOffsets(ctx, adm, "nope"); err == nil {
		t.Fatal("EndOffsets of a missing topic succeeded")
	}

	recs, err := path.ReadRange(ctx, "t", map[int32]int64{0: 3, 1: 9}, map[int32]int64{0: 7, 1: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, strconv.Itoa(int(r.Partition))+"/"+strconv.FormatInt(r.Offset, 10)+"="+direct.EventID(r))
	}
	want := []string{"0/3=e0-3", "0/4=e0-4", "0/5=e0-5", "0/6=e0-6", "1/9=e1-9"}
	if len(got) != len(want) {
		t.Fatalf("ReadRange = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ReadRange = %v, want %v", got, want)
		}
	}
	if recs, err := path.ReadRange(ctx, "t", map[int32]int64{0: 5}, map[int32]int64{0: 5}); err != nil || len(recs) != 0 {
		t.Fatalf("empty range = %d records, %v", len(recs), err)
	}
	all, err := path.ReadAll(ctx, "t")
	if err != nil || len(all) != 20 {
		t.Fatalf("ReadAll = %d records, %v; want 20", len(all), err)
	}

	// fn's error stops the read and comes back as it is.
	stop := errors.New("stop")
	n := 0
	err = path.Range(ctx, "t", map[int32]int64{0: 0}, map[int32]int64{0: 10}, func(*kgo.Record) error {
		if n++; n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Fatalf("Range with a failing fn = %v after %d records", err, n)
	}

	// A reader with no end hands what comes after it starts.
	rd, err := path.NewReader("t", map[int32]int64{0: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Partition: 0, Value: []byte("late")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var late []string
	for len(late) == 0 && ctx.Err() == nil {
		if err := rd.Poll(ctx, func(r *kgo.Record) error { late = append(late, string(r.Value)); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if len(late) != 1 || late[0] != "late" || rd.Done() {
		t.Fatalf("tail read %v (done %v), want [late] and not done", late, rd.Done())
	}
}
