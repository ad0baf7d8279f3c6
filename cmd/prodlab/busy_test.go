package main

import (
	"context"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/lab"
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
			switch which {
			case "proxy":
				cfg.ProxyPort = port
			case "toxiproxy":
				cfg.ToxiproxyPort = port
			case "broker":
				cfg.BrokerPort = port
			}
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
