package main

import (
	"context"
	"flag"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/admin"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

// clientFlags are a command's Kafka client settings: -X key=value, as
// kcat's, over a client.properties file, as the Java client's.
type clientFlags struct {
	files, pairs listFlag
	fs           *flag.FlagSet
}

// listFlag is a repeatable flag's values, in order.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// defaultList is a repeatable flag whose default goes at its first value.
type defaultList struct {
	listFlag
	given bool
}

func (d *defaultList) Set(v string) error {
	if !d.given {
		d.listFlag, d.given = nil, true
	}
	return d.listFlag.Set(v)
}

// addClientFlags registers -X and the properties-file flag fileFlag
// ("command-config" where --config means something else) on fs.
func addClientFlags(fs *flag.FlagSet, fileFlag string) *clientFlags {
	c := &clientFlags{fs: fs}
	fs.Var(&c.pairs, "X", "Kafka client setting key=value, repeatable (security.protocol, sasl.mechanism, sasl.username, sasl.password, ssl.ca.location, client.id, ...)")
	fs.Var(&c.files, fileFlag, "Kafka client settings file (client.properties: key=value lines, # comments); -X wins over it")
	return c
}

// props returns the settings given, checked together; their
// bootstrap.servers replaces *bootstrap unless the flag bootstrapFlag or
// the environment variable env (if not "") is set.
func (c *clientFlags) props(bootstrap *[]string, bootstrapFlag, env string) (p prodlab.ClientProps, err error) {
	for _, f := range c.files {
		if err := p.ReadFile(f); err != nil {
			return p, err
		}
	}
	if err := p.SetPair(c.pairs...); err != nil {
		return p, err
	}
	s, err := p.Security()
	_, inEnv := os.LookupEnv(env) // false for ""
	if err == nil && len(s.Bootstrap) > 0 && !flagSet(c.fs, bootstrapFlag) && !inEnv {
		*bootstrap = s.Bootstrap
	}
	return p, err
}

// connConfig says how admin commands reach the cluster.
type connConfig struct {
	bootstrap   string
	explicit    bool // --bootstrap or bootstrap.servers given
	toxiproxy   string
	timeout     time.Duration
	timeoutFlag string
	client      prodlab.ClientProps
	flags       *clientFlags
}

// addFlags registers c's flags on fs; call c.parsed after parsing.
func (c *connConfig) addFlags(fs *flag.FlagSet, fileFlag, timeoutFlag, timeoutUsage string) {
	fs.StringVar(&c.bootstrap, "bootstrap", prodlab.Loopback(prodlab.DefaultPorts.Broker), "brokers to bootstrap from (host:port,...); without this flag, the running lab's, read from Toxiproxy's proxy kafka, else these")
	fs.StringVar(&c.toxiproxy, "toxiproxy", "http://"+prodlab.Loopback(prodlab.DefaultPorts.Toxiproxy), "Toxiproxy API whose proxies are bypassed (empty: none; unreachable: none)")
	fs.DurationVar(&c.timeout, timeoutFlag, admin.DefaultTimeout, timeoutUsage)
	c.flags, c.timeoutFlag = addClientFlags(fs, fileFlag), timeoutFlag
}

// parsed checks the timeout and reads the client settings.
func (c *connConfig) parsed() error {
	if c.timeout <= 0 {
		return usageError("cli.positive", "flag", "--"+c.timeoutFlag, "value", c.timeout)
	}
	var b []string
	var err error
	if c.client, err = c.flags.props(&b, "bootstrap", ""); err != nil {
		return err
	}
	c.explicit = flagSet(c.flags.fs, "bootstrap") || len(b) > 0
	if len(b) > 0 {
		c.bootstrap = strings.Join(b, ",")
	}
	return nil
}

// with runs f with an admin client on the direct path: when Toxiproxy
// answers, its proxies are bypassed and, without a bootstrap given, the
// running lab's is used.
func (c connConfig) with(ctx context.Context, f func(*admin.Client) error) error {
	var up map[string]string
	bootstrap := prodlab.SplitList(c.bootstrap)
	if tc, err := toxiclient.New(c.toxiproxy); c.toxiproxy != "" && err == nil {
		bctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		up, _ = tc.Upstreams(bctx)
		if !c.explicit && up != nil {
			m, _ := tc.Proxies(bctx)
			bootstrap = target.LabBootstrap(slices.Collect(maps.Values(m)), bootstrap)
		}
		cancel()
	}
	p, err := direct.New(direct.Bootstrap(bootstrap...), direct.Bypass(up), direct.Props(c.client))
	if err != nil {
		return err
	}
	cl, err := admin.New(p, admin.Timeout(c.timeout))
	if err != nil {
		return err
	}
	defer cl.Close()
	return f(cl)
}
