package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/prodlab/prodlab/internal/engine"
)

func init() {
	register("version", "cmd.version", runVersion)
}

// Modules whose versions 'prodlab version' prints, with their names there.
var versionModules = []struct{ name, path string }{
	{"franz-go", "github.com/twmb/franz-go"},
	{"confluent-kafka-go", "github.com/confluentinc/confluent-kafka-go/v2"},
	{"toxiproxy", "github.com/Shopify/toxiproxy/v2"},
}

// buildVersion is what 'prodlab version' reports.
type buildVersion struct {
	module, version, revision, time string
	dirty                           bool
	goVersion, platform             string
	deps                            map[string]string // module path → version
	librdkafka                      string            // "" when not in this build
}

// readVersion reads bi (debug.ReadBuildInfo's) and the librdkafka version
// linked in, if any.
func readVersion(bi *debug.BuildInfo, librdkafka string) buildVersion {
	v := buildVersion{module: bi.Main.Path, version: bi.Main.Version, goVersion: bi.GoVersion, deps: map[string]string{}, librdkafka: librdkafka}
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.revision = s.Value
		case "vcs.time":
			v.time = s.Value
		case "vcs.modified":
			v.dirty = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos != "" {
		v.platform = goos + "/" + goarch
	}
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		v.deps[d.Path] = d.Version
	}
	return v
}

func (v buildVersion) write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "prodlab %s (%s)\n", orUnknown(v.version), orUnknown(v.module))
	rev := "unknown (built outside a git checkout, or with -buildvcs=false)"
	if v.revision != "" {
		rev = v.revision
		if v.dirty {
			rev += "+dirty"
		}
		if v.time != "" {
			rev += " (" + v.time + ")"
		}
	}
	fmt.Fprintf(&b, "  %-19s %s\n", "revision", rev)
	fmt.Fprintf(&b, "  %-19s %s %s\n", "go", v.goVersion, v.platform)
	for _, m := range versionModules {
		fmt.Fprintf(&b, "  %-19s %s\n", m.name, orUnknown(v.deps[m.path]))
	}
	rdk := v.librdkafka
	if rdk == "" {
		rdk = "not in this build (built with CGO_ENABLED=0)"
	}
	fmt.Fprintf(&b, "  %-19s %s\n", "librdkafka", rdk)
	_, err := io.WriteString(w, b.String())
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func runVersion(_ context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("version takes no arguments, got %q", args[0])
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return fmt.Errorf("this binary carries no build information")
	}
	return readVersion(bi, engine.LibrdkafkaVersion()).write(os.Stdout)
}
