package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/prodlab/prodlab/internal/admin"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/term"
)

type consumeConfig struct {
	conn   connConfig
	spec   admin.ConsumeSpec
	fields admin.Fields
	count  bool
	json   bool
}

func consumeFlags(args []string, stderr io.Writer) (consumeConfig, error) {
	var c consumeConfig
	fs := newFlagSet("consume", stderr, "")
	c.conn.addFlags(fs, "config", "connect-timeout", "bound on reaching the brokers")
	fs.StringVar(&c.spec.Topic, "topic", "", "topic to read (required)")
	fs.BoolVar(&c.spec.FromBeginning, "from-beginning", false, "read from the start and stop at the end offsets listed when the read starts")
	fs.DurationVar(&c.spec.Idle, "timeout", admin.DefaultIdle, "stop after this long without a new record")
	partition := fs.Int("partition", -1, "read only this partition (-1: all)")
	key := fs.String("key", "", "print only records with this key")
	fs.StringVar(&c.spec.Grep, "grep", "", "print only records whose key, value or a header value contains this text")
	fs.StringVar(&c.spec.EventID, "event-id", "", "print only records of this eventId: the eventId header, else the JSON value's eventId field")
	printList := fs.String("print", "value", "fields to print, comma-separated, among timestamp,partition,offset,headers,key,value")
	fs.IntVar(&c.spec.Max, "max-messages", 0, "stop after this many printed records (0: no limit)")
	fs.BoolVar(&c.count, "count", false, "print only the number of matching records per partition and in total")
	fs.BoolVar(&c.json, "json", false, "print each record as one JSON object per line")
	if err := parseNoArgs(fs, args); err != nil {
		return c, err
	}
	switch {
	case c.spec.Topic == "":
		return c, usageError("cli.required", "cmd", "consume", "flag", "--topic")
	case c.spec.Idle <= 0:
		return c, usageError("cli.positive", "flag", "--timeout", "value", c.spec.Idle)
	case *partition < -1:
		return c, usageError("cli.negative", "flag", "--partition", "value", *partition)
	case c.spec.Max < 0:
		return c, usageError("cli.negative", "flag", "--max-messages", "value", c.spec.Max)
	}
	if *partition >= 0 {
		c.spec.Partitions = []int32{int32(*partition)}
	}
	if flagSet(fs, "key") {
		c.spec.Key = key
	}
	var err error
	if c.fields, err = admin.ParseFields(*printList); err != nil {
		return c, err
	}
	return c, c.conn.parsed()
}

func consumeRun(ctx context.Context, c consumeConfig, stdout, stderr io.Writer) error {
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	var res admin.ConsumeResult
	err := c.conn.with(ctx, func(cl *admin.Client) (err error) {
		res, err = cl.Consume(ctx, c.spec, func(r admin.Record) error {
			switch {
			case c.count:
			case c.json:
				if err := json.NewEncoder(w).Encode(r); err != nil {
					return err
				}
			default:
				fmt.Fprintln(w, c.fields.Format(safeRecord(r)))
			}
			return w.Flush()
		})
		return err
	})
	if err != nil {
		return err
	}
	if c.count {
		for _, p := range res.Partitions() {
			fmt.Fprintf(w, "Partition:%d\t%d\n", p, res.Per[p])
		}
		fmt.Fprintf(w, "Total\t%d\n", res.Matched)
	}
	fmt.Fprintln(stderr, i18n.T("consume.processed", "n", res.Matched, "why", stopReason(res.Stop, c.spec.Idle)))
	return nil
}

func stopReason(s admin.Stop, idle time.Duration) string {
	if id, ok := map[admin.Stop]string{admin.StopEnd: "consume.stop.end", admin.StopIdle: "consume.stop.idle", admin.StopMax: "consume.stop.max"}[s]; ok {
		return i18n.T(id, "idle", idle)
	}
	return strconv.Quote(string(s))
}

// safeRecord returns r with its key, value and headers escaped for the
// terminal (term.Safe): any client wrote them.
func safeRecord(r admin.Record) admin.Record {
	safe := func(p *string) *string {
		if p == nil {
			return nil
		}
		v := term.Safe(*p)
		return &v
	}
	r.Key, r.Value, r.EventID = safe(r.Key), safe(r.Value), term.Safe(r.EventID)
	hs := make([]admin.Header, len(r.Headers))
	for i, h := range r.Headers {
		hs[i] = admin.Header{Key: term.Safe(h.Key), Value: term.Safe(h.Value)}
	}
	r.Headers = hs
	return r
}
