package franz

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
)

// TestConnIdle: both producers keep an idle connection 9 min, the Java
// client's connections.max.idle.ms, unless told otherwise, by the
// environment or by the client setting, which wins.
func TestConnIdle(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		prop string
		want time.Duration
	}{
		{name: "default", want: 9 * time.Minute},
		{name: "env", env: map[string]string{"KAFKA_CONNECTIONS_MAX_IDLE_MS": "30000"}, want: 30 * time.Second},
		{name: "client setting", env: map[string]string{"KAFKA_CONNECTIONS_MAX_IDLE_MS": "30000"}, prop: "connections.max.idle.ms=1000", want: time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := prodlab.DefaultConfig()
			cfg.Bootstrap = []string{"127.0.0.1:1"} // never dialled
			if err := cfg.LoadEnv(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }); err != nil {
				t.Fatal(err)
			}
			if tc.prop != "" {
				if err := cfg.Client.SetPair(tc.prop); err != nil {
					t.Fatal(err)
				}
			}
			p, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			f := p.(*franz)
			for _, cl := range []*kgo.Client{f.prod[0].cl, f.prod[1].cl} {
				if got := cl.OptValue(kgo.ConnIdleTimeout); got != tc.want {
					t.Errorf("ConnIdleTimeout = %v, want %v", got, tc.want)
				}
			}
		})
	}
	cfg := prodlab.DefaultConfig()
	if err := cfg.Client.SetPair("connections.max.idle.ms=20"); err == nil {
		t.Errorf("connections.max.idle.ms=20 accepted; franz-go takes 100 ms at least")
	}
	cfg.ConnMaxIdle = 16 * time.Minute
	if err := cfg.Validate(); err == nil {
		t.Errorf("KAFKA_CONNECTIONS_MAX_IDLE_MS=960000 accepted; franz-go takes 15 min at most")
	}
}
