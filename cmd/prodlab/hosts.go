package main

import (
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/httpguard"
	"github.com/prodlab/prodlab/internal/i18n"
)

// hostList is a repeatable --allowed-host flag.
type hostList []string

func (h *hostList) String() string { return strings.Join(*h, ",") }

func (h *hostList) Set(v string) error {
	for _, n := range prodlab.SplitList(v) {
		if err := httpguard.CheckHost(n); err != nil {
			return err
		}
		*h = append(*h, n)
	}
	return nil
}

const allowedHostUsage = "a host name the HTTP listeners accept in the Host header, besides localhost and IP addresses (repeatable; .example.com allows its subdomains)"

// loopback reports whether host only reaches this machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
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
