package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/prodlab/prodlab/internal/admin"
	"github.com/prodlab/prodlab/internal/i18n"
)

type compactionConfig struct {
	conn connConfig
	spec admin.CompactionSpec
	json bool
}

func compactionFlags(args []string, stderr io.Writer) (compactionConfig, error) {
	var c compactionConfig
	fs := newFlagSet("compaction-check", stderr, "")
	c.conn.addFlags(fs, "config", "timeout", "bound on each request to the brokers")
	fs.StringVar(&c.spec.Topic, "topic", "bhf-compact-demo", "compacted topic to check")
	fs.StringVar(&c.spec.Key, "key", "", "record key whose versions are checked (required)")
	fs.StringVar(&c.spec.Expect, "expect", "", "version the key must keep: its eventId (header or JSON value), or its whole value (required)")
	fs.DurationVar(&c.spec.Wait, "wait", 60*time.Second, "how long to wait for compaction")
	fs.BoolVar(&c.spec.Roll, "roll", true, "write one record (key "+admin.RollKey+") once segment.ms has passed, so that the active segment rolls and can be cleaned")
	fs.BoolVar(&c.json, "json", false, "print the report as JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return c, err
	}
	switch {
	case c.spec.Key == "":
		return c, usageError("cli.required", "cmd", "compaction-check", "flag", "--key")
	case c.spec.Expect == "":
		return c, usageError("cli.required", "cmd", "compaction-check", "flag", "--expect")
	case c.spec.Wait <= 0:
		return c, usageError("cli.positive", "flag", "--wait", "value", c.spec.Wait)
	}
	return c, c.conn.parsed()
}

// compactionRun runs a parsed 'prodlab compaction-check'. A check that
// fails (not compacted in time, or another value kept) exits with status 3.
func compactionRun(ctx context.Context, c compactionConfig, w io.Writer) error {
	if !c.json {
		seen := 0
		c.spec.Progress = func(st admin.CompactionState) {
			if seen == 0 {
				fmt.Fprintln(w, i18n.T("compaction.before", "key", c.spec.Key, "n", len(st.Versions), "topic", c.spec.Topic))
				printVersions(w, st.Versions)
				fmt.Fprintln(w, i18n.T("compaction.waiting", "wait", c.spec.Wait))
			} else if len(st.Versions) != seen {
				fmt.Fprintln(w, "  "+i18n.T("compaction.now", "at", st.At.Format("15:04:05.000"), "key", c.spec.Key, "n", len(st.Versions)))
			}
			seen = len(st.Versions)
		}
	}
	return c.conn.with(ctx, func(cl *admin.Client) error {
		rep, err := cl.CompactionCheck(ctx, c.spec)
		// An outcome: compacted or not; any other error stopped the check.
		outcome := err == nil || errors.Is(err, admin.ErrNotCompacted) || errors.Is(err, admin.ErrUnexpected)
		if c.json {
			if jerr := writeJSON(w, rep); jerr != nil {
				return jerr
			}
		} else if outcome {
			printReport(w, rep)
		}
		if err != nil && outcome {
			return &exitError{code: 3, err: err}
		}
		return err
	})
}

func printVersions(w io.Writer, rs []admin.Record) {
	for _, r := range rs {
		r = safeRecord(r)
		fmt.Fprintf(w, "  Partition:%d\tOffset:%d\tkey=%s\teventId=%s\tvalue=%s\n", r.Partition, r.Offset, r.KeyString(), r.EventID, r.ValueString())
	}
}

func printReport(w io.Writer, rep admin.CompactionReport) {
	if rep.Rolled != nil {
		fmt.Fprintln(w, i18n.T("compaction.rolled", "key", admin.RollKey, "segmentMs", rep.SegmentMs))
	}
	fmt.Fprintln(w, i18n.T("compaction.after", "took", rep.Elapsed, "key", rep.Key, "n", len(rep.After.Versions)))
	printVersions(w, rep.After.Versions)
	fmt.Fprintln(w, i18n.T("compaction.others", "n", len(rep.After.Others)))
	printVersions(w, rep.After.Others)
	switch {
	case rep.OK:
		fmt.Fprintln(w, i18n.T("compaction.ok", "expect", rep.Expect, "key", rep.Key))
	case rep.Compacted:
		fmt.Fprintln(w, i18n.T("compaction.other", "expect", rep.Expect))
	default:
		fmt.Fprintln(w, i18n.T("compaction.timeout"))
	}
}
