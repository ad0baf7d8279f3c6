package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/prodlab/prodlab/internal/engine"
	"github.com/prodlab/prodlab/internal/i18n"
)

func TestVersionReport(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.99.1",
		Main:      debug.Module{Path: "github.com/prodlab/prodlab", Version: "v1.2.3"},
		Deps: []*debug.Module{
			{Path: "github.com/twmb/franz-go", Version: "v1.22.3"},
			{Path: "github.com/Shopify/toxiproxy/v2", Version: "v2.0.0", Replace: &debug.Module{Path: "github.com/Shopify/toxiproxy/v2", Version: "v2.12.0"}},
		},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-12-02T01:00:00Z"},
			{Key: "vcs.modified", Value: "true"}, {Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"},
		},
	}
	check := func(bi *debug.BuildInfo, wants ...string) {
		t.Helper()
		var b bytes.Buffer
		if err := writeVersion(&b, bi, ""); err != nil {
			t.Fatal(err)
		}
		for _, want := range wants {
			if !strings.Contains(b.String(), want) {
				t.Errorf("%s version output lacks %q:\n%s", i18n.Current(), want, b.String())
			}
		}
	}
	check(bi,
		"prodlab v1.2.3 (github.com/prodlab/prodlab)\n",
		"revision            abc123+dirty (2026-12-02T01:00:00Z)\n",
		"go                  go1.99.1 linux/arm64\n",
		"franz-go            v1.22.3\n",
		"confluent-kafka-go  unknown\n",
		"toxiproxy           v2.12.0\n",
		"librdkafka          not in this build (built with CGO_ENABLED=0)\n")
	// Its sentences are the trainee's language; the names stay.
	inLang(t, i18n.FR)
	check(&debug.BuildInfo{GoVersion: "go1.99.1"},
		"prodlab inconnue (inconnue)\n",
		"revision            inconnue (go run ne l'inscrit pas, ni go build hors d'un dépôt git ou avec -buildvcs=false)\n",
		"confluent-kafka-go  inconnue\n",
		"librdkafka          absente de ce binaire (compilé avec CGO_ENABLED=0)\n")
}

// TestVersionBinary runs 'prodlab version' and '--version' on the cgo
// build and on a CGO_ENABLED=0 one: the modules are this build's, the
// librdkafka line is librdkafka's own answer, or says it is not built in.
func TestVersionBinary(t *testing.T) {
	out := func(bin string, args ...string) string {
		t.Helper()
		o, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v", bin, args, err)
		}
		return string(o)
	}
	bin := prodlabBin(t)
	v := out(bin, "version")
	if dash := out(bin, "--version"); dash != v {
		t.Errorf("--version says\n%s\nversion says\n%s", dash, v)
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build info in the test binary")
	}
	deps := depVersions(bi)
	for _, m := range versionModules {
		if want := m.name + strings.Repeat(" ", 19-len(m.name)) + " " + deps[m.path]; deps[m.path] == "" || !strings.Contains(v, want) {
			t.Errorf("version lacks %q:\n%s", want, v)
		}
	}
	if want := "go                  " + runtime.Version(); !strings.Contains(v, want) {
		t.Errorf("version lacks %q:\n%s", want, v)
	}
	if rdk := engine.LibrdkafkaVersion(); rdk == "" || !strings.Contains(v, "librdkafka          "+rdk+"\n") {
		t.Errorf("version lacks librdkafka %q:\n%s", rdk, v)
	}

	nocgo := filepath.Join(t.TempDir(), "prodlab-nocgo")
	build := exec.Command("go", "build", "-o", nocgo, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if o, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, o)
	}
	if v := out(nocgo, "version"); !strings.Contains(v, "librdkafka          not in this build") {
		t.Errorf("CGO_ENABLED=0 build:\n%s", v)
	}
}
