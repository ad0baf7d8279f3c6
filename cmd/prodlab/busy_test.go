package main

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/portowner"
)

// TestBusyPortNamesHolder: 'prodlab up' on a busy port names the process
// that holds it, whichever of the lab's listeners hits it.
func TestBusyPortNamesHolder(t *testing.T) {
	for _, which := range []string{"proxy", "toxiproxy", "broker"} {
		t.Run(which, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			port := ln.Addr().(*net.TCPAddr).Port
			cfg := lab.DefaultConfig()
			cfg.DataDir, cfg.ConsolePort, cfg.APIPorts = "", -1, nil
			cfg.BrokerPort, cfg.ProxyPort, cfg.ToxiproxyPort = 0, 0, 0
			busy := map[string]*int{"proxy": &cfg.ProxyPort, "toxiproxy": &cfg.ToxiproxyPort, "broker": &cfg.BrokerPort}
			*busy[which] = port
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			l, err := lab.Open(ctx, cfg)
			if err == nil {
				l.Close(ctx)
				t.Fatalf("lab.Open on busy port %d succeeded", port)
			}
			oneLine(t, explainBusy(err), "port "+strconv.Itoa(port)+" is already in use by PID "+strconv.Itoa(os.Getpid()))
		})
	}
}

// TestBusyPortDockerProxy: a port held by the previous module's Docker
// stack (docker-proxy) is named, with the one command that frees it, in
// the trainee's language.
func TestBusyPortDockerProxy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, bindErr := net.Listen("tcp", ln.Addr().String())
	if bindErr == nil {
		t.Fatal("a second listener on the same port succeeded")
	}
	before := listenerOf
	t.Cleanup(func() { listenerOf = before })
	listenerOf = func(p int) (portowner.Process, error) {
		if p != port {
			t.Errorf("asked for port %d, want %d", p, port)
		}
		args := []string{"/usr/bin/docker-proxy", "-proto", "tcp", "-host-ip", "0.0.0.0", "-host-port", strconv.Itoa(port), "-container-ip", "172.18.0.2", "-container-port", "9092"}
		return portowner.Process{PID: 4242, Args: args, Cmdline: strings.Join(args, " ")}, nil
	}
	ps := strconv.Itoa(port)
	inLang(t, i18n.FR)
	err = explainBusy(bindErr)
	oneLine(t, err, "le port "+ps+" est déjà pris par docker-proxy (PID 4242)")
	oneLine(t, err, "Pour le libérer : docker stop $(docker ps -q --filter publish="+ps+")")
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("%v does not wrap EADDRINUSE", err)
	}
	i18n.Set(i18n.EN)
	oneLine(t, explainBusy(bindErr), "port "+ps+" is already in use by docker-proxy (PID 4242)")
	listenerOf = func(int) (portowner.Process, error) { return portowner.Process{}, portowner.ErrUnknown }
	i18n.Set(i18n.FR)
	oneLine(t, explainBusy(bindErr), "le port "+ps+" est déjà pris, par un processus que cet utilisateur ne peut pas voir")
	// Whoever started the holder wrote its command line: a newline in it
	// stays escaped, and cannot add a line of its own to the message.
	listenerOf = func(int) (portowner.Process, error) {
		return portowner.Process{PID: 4243, Args: []string{"sh"}, Cmdline: "sh -c x\nprodlab : tout va bien"}, nil
	}
	oneLine(t, explainBusy(bindErr), `(sh -c x\nprodlab : tout va bien)`)
}
