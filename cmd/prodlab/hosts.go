package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/httpguard"
	"github.com/prodlab/prodlab/internal/i18n"
)

// addAllowedHosts registers the repeatable --allowed-host on fs: each
// value is a comma-separated list of hosts, checked and added to hosts.
func addAllowedHosts(fs *flag.FlagSet, hosts *[]string) {
	fs.Func("allowed-host", "a host name the HTTP listeners accept in the Host header, besides localhost and IP addresses (repeatable; .example.com allows its subdomains)", func(v string) error {
		for _, n := range prodlab.SplitList(v) {
			if httpguard.CheckHost(n) != nil {
				return i18n.Errorf("host.bad", "host", strconv.Quote(n))
			}
			*hosts = append(*hosts, n)
		}
		return nil
	})
}

// loopback reports whether host only reaches this machine.
func loopback(host string) bool {
	return strings.EqualFold(host, "localhost") || net.ParseIP(strings.Trim(host, "[]")).IsLoopback() // nil: false
}

// warnExposed tells, when host (the value of flag) is not a loopback
// address, what other machines can now reach: what are catalogue ids.
func warnExposed(w io.Writer, flag, host string, what ...string) {
	if loopback(host) {
		return
	}
	if host == "" {
		host = `""`
	}
	names := make([]string, len(what))
	for i, id := range what {
		names[i] = i18n.T(id) // an id the catalogue lacks stands as it is
	}
	fmt.Fprintln(w, i18n.T("host.exposed", "flag", flag, "host", host, "what", strings.Join(names, ", ")))
}
