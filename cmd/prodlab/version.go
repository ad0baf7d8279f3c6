package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/prodlab/prodlab/internal/i18n"
)

// versionFlags refuses any argument and returns this binary's build
// information.
func versionFlags(args []string, stderr io.Writer) (*debug.BuildInfo, error) {
	if err := parseNoArgs(newFlagSet("version", stderr, "cmd.version"), args); err != nil {
		return nil, err
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
	unknown := i18n.T("version.unknown")
	rev := i18n.T("version.noRevision")
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
	var b strings.Builder
	row := func(name, value string) { fmt.Fprintf(&b, "  %-19s %s\n", name, value) }
	fmt.Fprintf(&b, "prodlab %s (%s)\n", cmp.Or(bi.Main.Version, unknown), cmp.Or(bi.Main.Path, unknown))
	row("revision", rev)
	row("go", bi.GoVersion+" "+platform)
	deps := depVersions(bi)
	for _, m := range versionModules {
		row(m.name, cmp.Or(deps[m.path], unknown))
	}
	row("librdkafka", cmp.Or(librdkafka, i18n.T("version.noLibrdkafka")))
	_, err := io.WriteString(w, b.String())
	return err
}

// depVersions maps each dependency's module path to its version, after
// replacements.
func depVersions(bi *debug.BuildInfo) map[string]string {
	deps := map[string]string{}
	for _, d := range bi.Deps {
		d = cmp.Or(d.Replace, d)
		deps[d.Path] = d.Version
	}
	return deps
}
