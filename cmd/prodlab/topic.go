package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/admin"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/term"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

func init() {
	register("topic", "cmd.topic", parsed(topicFlags, topicRun))
}

// connConfig says how admin commands reach the cluster.
type connConfig struct {
	bootstrap string
	explicit  bool // --bootstrap or bootstrap.servers given
	toxiproxy string
	timeout   time.Duration
	client    prodlab.ClientProps
	flags     *clientFlags
}

// addConnFlags registers --bootstrap, --toxiproxy and the client settings
// (-X, and fileFlag for a client.properties) on fs; call c.parsed after
// fs.Parse.
func addConnFlags(fs *flag.FlagSet, c *connConfig, fileFlag string) {
	fs.StringVar(&c.bootstrap, "bootstrap", prodlab.Loopback(prodlab.DefaultPorts.Broker), "brokers to bootstrap from (host:port,...) (default: the running lab's, read from Toxiproxy's proxy kafka, else this)")
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
	c.explicit = flagSet(c.flags.fs, "bootstrap")
	if b, ok := c.flags.bootstrap(c.client, "bootstrap", ""); ok {
		c.bootstrap, c.explicit = strings.Join(b, ","), true
	}
	return nil
}

// dial returns an admin client on the direct path: when Toxiproxy answers,
// every proxy address the brokers advertise is dialled at its upstream.
// Without a bootstrap given, it bootstraps from the running lab's, the
// upstream of Toxiproxy's proxy kafka (see target.LabBootstrap), as
// validate does: the embedded broker, or the relay in front of a cluster
// that advertises its own addresses.
func (c connConfig) dial(ctx context.Context) (*admin.Client, error) {
	var up map[string]string
	bootstrap := prodlab.SplitList(c.bootstrap)
	if tc, err := toxiclient.New(c.toxiproxy); c.toxiproxy != "" && err == nil {
		bctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		up, _ = tc.Upstreams(bctx)
		var ps target.Proxies
		if !c.explicit && up != nil {
			m, _ := tc.Proxies(bctx)
			for _, p := range m {
				ps = append(ps, p)
			}
		}
		cancel()
		bootstrap = target.LabBootstrap(ps, bootstrap)
	}
	p, err := direct.New(direct.Bootstrap(bootstrap...), direct.Bypass(up), direct.Props(c.client))
	if err != nil {
		return nil, err
	}
	return admin.New(p, admin.Timeout(c.timeout))
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
		fmt.Fprint(stderr, i18n.T("topic.usage")+"\n")
		printDefaults(fs)
	}
	pos, err := parseVerb(fs, args, i18n.Errorf("topic.noAction"))
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
		return c, &exitError{code: 2, err: i18n.Errorf("topic.badAction", "action", strconv.Quote(c.action))}
	}
	if len(pos) < want {
		return c, &exitError{code: 2, err: i18n.Errorf("topic.needName", "action", c.action)}
	}
	if len(pos) > want {
		return c, &exitError{code: 2, err: i18n.Errorf("cli.unexpectedArg", "cmd", "topic "+c.action, "arg", strconv.Quote(pos[want]))}
	}
	if want == 2 {
		c.spec.Name = pos[1]
	}
	if c.conn.timeout <= 0 {
		return c, &exitError{code: 2, err: i18n.Errorf("cli.positive", "flag", "--timeout", "value", c.conn.timeout)}
	}
	if c.partitions < -1 || c.partitions == 0 || c.partitions > 1<<20 {
		return c, &exitError{code: 2, err: i18n.Errorf("cli.oneOrMore", "flag", "--partitions", "value", c.partitions)}
	}
	if c.replication < -1 || c.replication == 0 || c.replication > 1<<14 {
		return c, &exitError{code: 2, err: i18n.Errorf("cli.oneOrMore", "flag", "--replication-factor", "value", c.replication)}
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
			fmt.Fprintln(w, i18n.T("topic.created", "topic", res.Name, "partitions", res.Partitions, "rf", res.ReplicationFactor))
		} else {
			fmt.Fprintln(w, i18n.T("topic.exists", "topic", res.Name, "partitions", res.Partitions, "rf", res.ReplicationFactor))
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
		fmt.Fprintln(tw, i18n.T("topic.list.header"))
		for _, t := range ts {
			fmt.Fprintf(tw, "%s\t%d\t%d\n", term.Safe(t.Name), t.Partitions, t.ReplicationFactor)
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
			fmt.Fprintln(w, i18n.T("topic.noneToDelete", "topic", c.spec.Name))
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(w, i18n.T("topic.deleted", "topic", c.spec.Name))
	}
	return nil
}

func printDescription(w io.Writer, d admin.TopicDescription) {
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
	tw.Flush()
	fmt.Fprintln(w, i18n.T("topic.recordsNote"))
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
