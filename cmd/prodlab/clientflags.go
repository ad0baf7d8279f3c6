package main

import (
	"flag"
	"os"
	"strings"

	"github.com/prodlab/prodlab"
)

// clientFlags are the Kafka client settings of a command: -X key=value
// (repeatable, as kcat's) and a client.properties file (the Java client's
// format). The file is read first; -X wins over it.
type clientFlags struct {
	files, pairs listFlag
	fs           *flag.FlagSet
}

// listFlag is a repeatable flag's values, in order.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// addClientFlags registers -X and the properties-file flag (fileFlag:
// "config", or "command-config" where --config means something else, as in
// kafka-topics.sh) on fs.
func addClientFlags(fs *flag.FlagSet, fileFlag string) *clientFlags {
	c := &clientFlags{fs: fs}
	fs.Var(&c.pairs, "X", "Kafka client setting key=value, repeatable (security.protocol, sasl.mechanism, sasl.username, sasl.password, ssl.ca.location, client.id, ...)")
	fs.Var(&c.files, fileFlag, "Kafka client settings file (client.properties: key=value lines, # comments); -X wins over it")
	return c
}

// props returns the settings given, checked together; errors name the
// key and never show a secret.
func (c *clientFlags) props() (prodlab.ClientProps, error) {
	var p prodlab.ClientProps
	for _, f := range c.files {
		if err := p.ReadFile(f); err != nil {
			return p, err
		}
	}
	for _, kv := range c.pairs {
		if err := p.SetPair(kv); err != nil {
			return p, err
		}
	}
	_, err := p.Security()
	return p, err
}

// bootstrap returns the props' bootstrap.servers when the command line
// (flag bootstrapFlag) and the environment (env, if not empty) give none.
func (c *clientFlags) bootstrap(p prodlab.ClientProps, bootstrapFlag, env string) ([]string, bool) {
	if flagSet(c.fs, bootstrapFlag) {
		return nil, false
	}
	if _, ok := os.LookupEnv(env); env != "" && ok {
		return nil, false
	}
	s, err := p.Security()
	if err != nil || len(s.Bootstrap) == 0 {
		return nil, false
	}
	return s.Bootstrap, true
}
