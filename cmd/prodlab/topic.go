package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/admin"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/term"
)

type topicConfig struct {
	conn       connConfig
	action     string // create, list, describe or delete
	spec       admin.TopicSpec
	internal   bool
	allConfigs bool
	ifExists   bool
	json       bool
}

func topicFlags(args []string, stderr io.Writer) (topicConfig, error) {
	var c topicConfig
	var configs listFlag
	fs := newFlagSet("topic", stderr, "topic.usage")
	c.conn.addFlags(fs, "command-config", "timeout", "bound on each request to the brokers")
	partitions := fs.Int("partitions", -1, "create: partition count (-1: the broker's num.partitions)")
	replication := fs.Int("replication-factor", -1, "create: replicas per partition (-1: the broker's default.replication.factor)")
	fs.Var(&configs, "config", "create: topic config k=v, repeatable (such as cleanup.policy=compact)")
	fs.BoolVar(&c.spec.IfNotExists, "if-not-exists", false, "create: succeed if the topic already exists")
	fs.BoolVar(&c.ifExists, "if-exists", false, "delete: succeed if the topic does not exist")
	fs.BoolVar(&c.internal, "internal", false, "list: include internal topics")
	fs.BoolVar(&c.allConfigs, "all-configs", false, "describe: show every config, not only the topic's overrides")
	fs.BoolVar(&c.json, "json", false, "print the result as JSON")
	pos, err := parseVerb(fs, args, i18n.Errorf("topic.noAction"))
	if err != nil {
		return c, err
	}
	c.action = pos[0]
	want, ok := map[string]int{"create": 2, "describe": 2, "delete": 2, "list": 1}[c.action] // positional arguments
	if !ok {
		return c, usageError("topic.badAction", "action", strconv.Quote(c.action))
	}
	if len(pos) < want {
		return c, usageError("topic.needName", "action", c.action)
	}
	if len(pos) > want {
		return c, usageError("cli.unexpectedArg", "cmd", "topic "+c.action, "arg", strconv.Quote(pos[want]))
	}
	if want == 2 {
		c.spec.Name = pos[1]
	}
	if err := c.conn.parsed(); err != nil {
		return c, err
	}
	for _, f := range []struct {
		name   string
		v, max int
	}{{"--partitions", *partitions, 1 << 20}, {"--replication-factor", *replication, 1 << 14}} {
		if f.v < -1 || f.v == 0 || f.v > f.max {
			return c, usageError("cli.oneOrMore", "flag", f.name, "value", f.v)
		}
	}
	c.spec.Partitions, c.spec.ReplicationFactor = int32(*partitions), int16(*replication)
	if len(configs) > 0 {
		c.spec.Configs = map[string]string{}
		for _, kv := range configs {
			k, v, err := admin.ParseConfig(kv)
			if err != nil {
				return c, err
			}
			c.spec.Configs[k] = v
		}
	}
	if c.action == "create" {
		return c, c.spec.Validate()
	}
	return c, nil
}

func topicRun(ctx context.Context, c topicConfig, w io.Writer) error {
	return c.conn.with(ctx, func(cl *admin.Client) error {
		switch c.action {
		case "create":
			res, err := cl.CreateTopic(ctx, c.spec)
			if err != nil {
				return err
			}
			return c.print(w, res, func() error {
				id := "topic.exists"
				if res.Created {
					id = "topic.created"
				}
				_, err := fmt.Fprintln(w, i18n.T(id, "topic", res.Name, "partitions", res.Partitions, "rf", res.ReplicationFactor))
				return err
			})
		case "list":
			ts, err := cl.ListTopics(ctx, c.internal)
			if err != nil {
				return err
			}
			return c.print(w, ts, func() error {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, i18n.T("topic.list.header"))
				for _, t := range ts {
					fmt.Fprintf(tw, "%s\t%d\t%d\n", term.Safe(t.Name), t.Partitions, t.ReplicationFactor)
				}
				return tw.Flush()
			})
		case "describe":
			d, err := cl.DescribeTopic(ctx, c.spec.Name)
			if err != nil {
				return err
			}
			if !c.allConfigs {
				d.Configs = slices.DeleteFunc(d.Configs, func(cf admin.ConfigEntry) bool { return !cf.Set })
			}
			return c.print(w, d, func() error { return printDescription(w, d) })
		}
		err := cl.DeleteTopic(ctx, c.spec.Name) // delete
		if errors.Is(err, prodlab.ErrUnknownTopic) && c.ifExists {
			fmt.Fprintln(w, i18n.T("topic.noneToDelete", "topic", c.spec.Name))
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(w, i18n.T("topic.deleted", "topic", c.spec.Name))
		return nil
	})
}

// print writes v as JSON under --json, else runs text.
func (c topicConfig) print(w io.Writer, v any, text func() error) error {
	if c.json {
		return writeJSON(w, v)
	}
	return text()
}

func printDescription(w io.Writer, d admin.TopicDescription) error {
	cfgs := make([]string, 0, len(d.Configs))
	for _, c := range d.Configs {
		cfgs = append(cfgs, term.Safe(c.Name+"="+c.Value))
	}
	sort.Strings(cfgs)
	fmt.Fprintf(w, "Topic: %s\tTopicId: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s\n",
		term.Safe(d.Name), d.ID, len(d.Partitions), d.ReplicationFactor, strings.Join(cfgs, ","))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, i18n.T("topic.describe.header"))
	for _, p := range d.Partitions {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%d\t%d\t%d", p.Partition, p.Leader, ints(p.Replicas), ints(p.ISR), p.StartOffset, p.EndOffset, p.EndOffset-p.StartOffset)
		if p.Err != "" {
			fmt.Fprintf(tw, "\t%s", term.Safe(p.Err))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, i18n.T("topic.recordsNote"))
	return err
}

// ints is s as 1,2,3.
func ints(s []int32) string { return strings.Trim(strings.ReplaceAll(fmt.Sprint(s), " ", ","), "[]") }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
