package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/admin"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

func init() {
	register("topic", "manage topics: create|list|describe|delete (kafka-topics.sh without docker exec)", parsed(topicFlags, topicRun))
}

// connConfig says how admin commands reach the cluster.
type connConfig struct {
	bootstrap string
	toxiproxy string
	timeout   time.Duration
	client    prodlab.ClientProps
	flags     *clientFlags
}

// addConnFlags registers --bootstrap, --toxiproxy and the client settings
// (-X, and fileFlag for a client.properties) on fs; call c.parsed after
// fs.Parse.
func addConnFlags(fs *flag.FlagSet, c *connConfig, fileFlag string) {
	fs.StringVar(&c.bootstrap, "bootstrap", prodlab.Loopback(prodlab.DefaultPorts.Broker), "brokers to bootstrap from (host:port,...): the lab's direct listener by default")
	fs.StringVar(&c.toxiproxy, "toxiproxy", "http://"+prodlab.Loopback(prodlab.DefaultPorts.Toxiproxy), "Toxiproxy API whose proxies are bypassed (empty: none; unreachable: none)")
	c.flags = addClientFlags(fs, fileFlag)
}

// parsed applies the client settings given; bootstrap.servers in them
// replaces --bootstrap's default.
func (c *connConfig) parsed() error {
	var err error
	if c.client, err = c.flags.props(); err != nil {
		return err
	}
	if b, ok := c.flags.bootstrap(c.client, "bootstrap", ""); ok {
		c.bootstrap = strings.Join(b, ",")
	}
	return nil
}

// dial returns an admin client on the direct path: when Toxiproxy answers,
// every proxy address the brokers advertise is dialled at its upstream.
func (c connConfig) dial(ctx context.Context) (*admin.Client, error) {
	var bypass direct.Bypass
	if tc, err := toxiclient.New(c.toxiproxy); c.toxiproxy != "" && err == nil {
		bctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		up, _ := tc.Upstreams(bctx)
		cancel()
		bypass = direct.Bypass(up)
	}
	return admin.New(prodlab.SplitList(c.bootstrap), admin.Bypass(bypass), admin.Timeout(c.timeout), admin.Props(c.client))
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// topicConfig is a parsed 'prodlab topic' command line.
type topicConfig struct {
	conn        connConfig
	action      string // create, list, describe or delete
	spec        admin.TopicSpec
	internal    bool
	allConfigs  bool
	ifExists    bool
	json        bool
	partitions  int
	replication int
}

const topicUsage = `usage:
  prodlab topic create NAME [--partitions N] [--replication-factor R] [--config k=v ...] [--if-not-exists]
  prodlab topic list [--internal]
  prodlab topic describe NAME [--all-configs]
  prodlab topic delete NAME [--if-exists]

flags:
`

// topicFlags parses the arguments of 'prodlab topic'.
func topicFlags(args []string, stderr io.Writer) (topicConfig, error) {
	var c topicConfig
	var configs stringList
	fs := flag.NewFlagSet("topic", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addConnFlags(fs, &c.conn, "command-config")
	fs.DurationVar(&c.conn.timeout, "timeout", admin.DefaultTimeout, "bound on each request to the brokers")
	fs.IntVar(&c.partitions, "partitions", -1, "create: partition count (default: the broker's num.partitions)")
	fs.IntVar(&c.replication, "replication-factor", -1, "create: replicas per partition (default: the broker's default.replication.factor)")
	fs.Var(&configs, "config", "create: topic config k=v, repeatable (such as cleanup.policy=compact)")
	fs.BoolVar(&c.spec.IfNotExists, "if-not-exists", false, "create: succeed if the topic already exists")
	fs.BoolVar(&c.ifExists, "if-exists", false, "delete: succeed if the topic does not exist")
	fs.BoolVar(&c.internal, "internal", false, "list: include internal topics")
	fs.BoolVar(&c.allConfigs, "all-configs", false, "describe: show every config, not only the topic's overrides")
	fs.BoolVar(&c.json, "json", false, "print the result as JSON")
	fs.Usage = func() {
		fmt.Fprint(stderr, topicUsage)
		fs.PrintDefaults()
	}
	pos, err := parseVerb(fs, args, "topic: no action given: create, list, describe or delete")
	if err != nil {
		return c, err
	}
	if err := c.conn.parsed(); err != nil {
		return c, err
	}
	c.action = pos[0]
	want := 2
	switch c.action {
	case "create", "describe", "delete":
	case "list":
		want = 1
	default:
		return c, &exitError{code: 2, err: fmt.Errorf("topic: unknown action %q: create, list, describe or delete", c.action)}
	}
	if len(pos) < want {
		return c, &exitError{code: 2, err: fmt.Errorf("topic %s: a topic name is required", c.action)}
	}
	if len(pos) > want {
		return c, &exitError{code: 2, err: fmt.Errorf("topic %s: unexpected argument %q", c.action, pos[want])}
	}
	if want == 2 {
		c.spec.Name = pos[1]
	}
	if c.conn.timeout <= 0 {
		return c, fmt.Errorf("--timeout %s must be positive", c.conn.timeout)
	}
	if c.partitions < -1 || c.partitions == 0 || c.partitions > 1<<20 {
		return c, fmt.Errorf("--partitions %d: use 1 or more", c.partitions)
	}
	if c.replication < -1 || c.replication == 0 || c.replication > 1<<14 {
		return c, fmt.Errorf("--replication-factor %d: use 1 or more", c.replication)
	}
	c.spec.Partitions, c.spec.ReplicationFactor = int32(c.partitions), int16(c.replication)
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
		if err := c.spec.Validate(); err != nil {
			return c, err
		}
	}
	return c, nil
}

// topicRun runs a parsed 'prodlab topic' command.
func topicRun(ctx context.Context, c topicConfig, w io.Writer) error {
	cl, err := c.conn.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	switch c.action {
	case "create":
		res, err := cl.CreateTopic(ctx, c.spec)
		if err != nil {
			return err
		}
		if c.json {
			return writeJSON(w, res)
		}
		if res.Created {
			fmt.Fprintf(w, "Created topic %s (partitions %d, replication factor %d).\n", res.Name, res.Partitions, res.ReplicationFactor)
		} else {
			fmt.Fprintf(w, "Topic %s already exists (partitions %d, replication factor %d): left as is.\n", res.Name, res.Partitions, res.ReplicationFactor)
		}
	case "list":
		ts, err := cl.ListTopics(ctx, c.internal)
		if err != nil {
			return err
		}
		if c.json {
			return writeJSON(w, ts)
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TOPIC\tPARTITIONS\tREPLICATION")
		for _, t := range ts {
			fmt.Fprintf(tw, "%s\t%d\t%d\n", t.Name, t.Partitions, t.ReplicationFactor)
		}
		return tw.Flush()
	case "describe":
		d, err := cl.DescribeTopic(ctx, c.spec.Name)
		if err != nil {
			return err
		}
		if !c.allConfigs {
			var set []admin.ConfigEntry
			for _, cf := range d.Configs {
				if cf.Set {
					set = append(set, cf)
				}
			}
			d.Configs = set
		}
		if c.json {
			return writeJSON(w, d)
		}
		printDescription(w, d)
	case "delete":
		err := cl.DeleteTopic(ctx, c.spec.Name)
		if errors.Is(err, prodlab.ErrUnknownTopic) && c.ifExists {
			fmt.Fprintf(w, "Topic %s does not exist: nothing to delete.\n", c.spec.Name)
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "Deleted topic %s.\n", c.spec.Name)
	}
	return nil
}

func printDescription(w io.Writer, d admin.TopicDescription) {
	cfgs := make([]string, 0, len(d.Configs))
	for _, c := range d.Configs {
		cfgs = append(cfgs, c.Name+"="+c.Value)
	}
	sort.Strings(cfgs)
	fmt.Fprintf(w, "Topic: %s\tTopicId: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s\n",
		d.Name, d.ID, len(d.Partitions), d.ReplicationFactor, strings.Join(cfgs, ","))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTITION\tLEADER\tREPLICAS\tISR\tSTART\tEND\tRECORDS*")
	for _, p := range d.Partitions {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%d\t%d\t%d", p.Partition, p.Leader, ints(p.Replicas), ints(p.ISR), p.StartOffset, p.EndOffset, p.EndOffset-p.StartOffset)
		if p.Err != "" {
			fmt.Fprintf(tw, "\t%s", p.Err)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintln(w, "* END-START: an upper bound once a compacted topic has been cleaned.")
}

func ints(s []int32) string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprint(v)
	}
	return strings.Join(out, ",")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
