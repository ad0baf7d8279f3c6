package kafkalocal

import (
	"strconv"
	"testing"
)

// TestComposePortsLoopbackOnly checks that every port any compose project
// publishes binds 127.0.0.1 on the host: Toxiproxy's API is
// unauthenticated and can open a proxy to any address, so a port on every
// interface makes an open relay on the trainee's network.
func TestComposePortsLoopbackOnly(t *testing.T) {
	for file, mode := range composeFiles {
		if mode == "" {
			continue
		}
		n, _ := BrokerCount(mode)
		p := loadCompose(t, map[string]string{"PRODLAB_KAFKA_BROKERS": strconv.Itoa(n)}, file, "docker-compose.module.yml")
		count := 0
		for name, s := range p.Services {
			for _, port := range s.Ports {
				count++
				if port.HostIP != "127.0.0.1" {
					t.Errorf("%s: service %s publishes %s:%s->%d on host IP %q, want 127.0.0.1", file, name, port.HostIP, port.Published, port.Target, port.HostIP)
				}
			}
		}
		if count < 6 {
			t.Errorf("%s: only %d published ports: the check saw too little", file, count)
		}
	}
}
