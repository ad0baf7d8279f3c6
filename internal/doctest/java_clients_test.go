package doctest

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/labtest"
)

// JavaClientVersions are the kafka-clients versions the lab is checked against: the
// seed's, the last 3.x, and the current 4.x.
var JavaClientVersions = []string{"3.6.1", "3.9.1", "4.4.0"}

// TestJavaClients builds tests/java/clients against each kafka-clients
// version and runs it against an embedded lab: it produces plain and
// idempotent, sync and async, through Toxiproxy, and consumes back. The
// records are then checked on the direct path, by the eventId in their JSON
// value (they carry no header, like the seed's).
func TestJavaClients(t *testing.T) {
	javaTools(t)
	l := labtest.Start(t)
	dir := filepath.Join(repoRoot(), "tests", "java", "clients")
	for _, v := range JavaClientVersions {
		t.Run(v, func(t *testing.T) {
			cp := mvnBuild(t, dir, "", "kafka.version="+v)
			topic := labtest.Topic(t, l, 3, nil)
			prefix := "java-" + strings.ReplaceAll(v, ".", "-")
			start := time.Now()
			out := javaRun(t, cp, 2*time.Minute, "prodlab.Matrix", strings.Join(l.ProxyAddrs(), ","), topic, prefix)
			t.Logf("kafka-clients %s: produced and read back in %v", v, time.Since(start).Round(time.Millisecond))
			if !strings.Contains(out, "CLIENT "+v+"\n") {
				t.Fatalf("the program did not run kafka-clients %s:\n%s", v, out)
			}
			sent := 0
			for _, line := range strings.Split(out, "\n") {
				f := strings.Fields(line)
				if len(f) != 4 || f[0] != "SENT" {
					continue
				}
				sent++
				recs := labtest.Count(t, l, topic, f[1])
				if len(recs) != 1 {
					t.Errorf("%s: %d copies on the direct path, want 1", f[1], len(recs))
					continue
				}
				if p, o := strconv.Itoa(int(recs[0].Partition)), strconv.FormatInt(recs[0].Offset, 10); p != f[2] || o != f[3] {
					t.Errorf("%s: the client says partition %s offset %s, the log holds it at %s/%s", f[1], f[2], f[3], p, o)
				}
				if strings.Contains(f[1], "-idempotent-") && recs[0].ProducerID < 0 {
					t.Errorf("%s: idempotent record without a producer id", f[1])
				}
			}
			if sent != 4 {
				t.Fatalf("%d records sent, want 4 (plain and idempotent, sync and async):\n%s", sent, out)
			}
		})
	}
}
