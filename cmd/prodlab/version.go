package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/prodlab/prodlab/internal/engine"
)

func init() {
	register("version", "cmd.version", versionFlags, func(_ context.Context, bi *debug.BuildInfo, w io.Writer) error {
		return writeVersion(w, bi, engine.LibrdkafkaVersion())
	})
}

// versionFlags refuses any argument and returns this binary's build
// information.
func versionFlags(args []string, _ io.Writer) (*debug.BuildInfo, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("version takes no arguments, got %q", args[0])
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil, errors.New("this binary carries no build information")
	}
	return bi, nil
}

// Modules whose versions 'prodlab version' prints, with their names there.
var versionModules = []struct{ name, path string }{
	{"franz-go", "github.com/twmb/franz-go"},
	{"confluent-kafka-go", "github.com/confluentinc/confluent-kafka-go/v2"},
	{"toxiproxy", "github.com/Shopify/toxiproxy/v2"},
}

// writeVersion writes 'prodlab version': bi's versions and librdkafka's
// ("" when not in this build).
func writeVersion(w io.Writer, bi *debug.BuildInfo, librdkafka string) error {
	set := map[string]string{}
	for _, s := range bi.Settings {
		set[s.Key] = s.Value
	}
	rev := "unknown (built outside a git checkout, or with -buildvcs=false)"
	if r := set["vcs.revision"]; r != "" {
		rev = r
		if set["vcs.modified"] == "true" {
			rev += "+dirty"
		}
		if t := set["vcs.time"]; t != "" {
			rev += " (" + t + ")"
		}
	}
	platform := ""
	if set["GOOS"] != "" {
		platform = set["GOOS"] + "/" + set["GOARCH"]
	}
	if librdkafka == "" {
		librdkafka = "not in this build (built with CGO_ENABLED=0)"
	}
	rows := [][2]string{{"revision", rev}, {"go", bi.GoVersion + " " + platform}}
	deps := depVersions(bi)
	for _, m := range versionModules {
		rows = append(rows, [2]string{m.name, orUnknown(deps[m.path])})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "prodlab %s (%s)\n", orUnknown(bi.Main.Version), orUnknown(bi.Main.Path))
	for _, r := range append(rows, [2]string{"librdkafka", librdkafka}) {
		fmt.Fprintf(&b, "  %-19s %s\n", r[0], r[1])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// depVersions maps each dependency's module path to its version, after
// replacements.
func depVersions(bi *debug.BuildInfo) map[string]string {
	deps := map[string]string{}
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		deps[d.Path] = d.Version
	}
	return deps
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
