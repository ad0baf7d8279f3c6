package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/experiment"
)

// TestExperimentReportSecrets: a password given with -X or in a --config
// file shows in neither the experiment's table nor its JSON and HTML
// reports, whose command line says [redacted] instead; the report files
// are 0600, an existing 0644 file included. A JAAS entry without
// "required" is refused by experiment and validate, in the process and
// on the terminal, without its password.
func TestExperimentReportSecrets(t *testing.T) {
	dir := t.TempDir()
	pwX, pwFile, token := secret(t, "x-pw-"), secret(t, "file-pw-"), secret(t, "tok-")
	props := writeProps(t, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"+
		`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="`+pwFile+"\";\n")
	jsonFile, htmlFile := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html")
	// A report left from an earlier run, readable by all.
	if err := os.WriteFile(jsonFile, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(jsonFile, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	secrets := []string{pwX, pwFile, token}
	for name, args := range map[string][]string{
		"-X": {"-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=PLAIN", "-X", "sasl.username=u",
			"-X", "sasl.password=" + pwX, "--n", "10", "--json", jsonFile, "--report", htmlFile},
		"--config": {"--config", props, "--json", jsonFile, "--report", htmlFile, "--quiet"},
	} {
		t.Run(name, func(t *testing.T) {
			var stderr, stdout bytes.Buffer
			c, err := experimentFlags(args, &stderr)
			if err != nil {
				t.Fatal(err)
			}
			if err := writeReports(c, experiment.Report{Schedule: c.schedule}, &stdout, &stderr); err != nil {
				t.Fatal(err)
			}
			out := stdout.String() + stderr.String()
			for _, f := range []string{jsonFile, htmlFile} {
				out += readReport(t, f)
			}
			var rep experiment.Report
			b, _ := os.ReadFile(jsonFile)
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatal(err)
			}
			t.Logf("command: %s", rep.Command)
			want := "--config " + props
			if name == "-X" {
				want = "-X 'sasl.password=" + prodlab.Redacted + "'"
			}
			if !strings.HasPrefix(rep.Command, "prodlab experiment ") || !strings.Contains(rep.Command, want) {
				t.Errorf("command %q lacks %q", rep.Command, want)
			}
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("a secret shows in the reports or the output")
				}
			}
		})
	}

	// The JAAS entry: "required" left out, the password first.
	jaas := `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule password="` + pwX + `" username="u";`
	bad := writeProps(t, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"+jaas+"\n")
	xArgs := []string{"-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=PLAIN", "-X", jaas}
	for _, cmd := range []string{"experiment", "validate"} {
		for name, args := range map[string][]string{"-X": xArgs, "--config": {"--config", bad}} {
			t.Run("jaas/"+cmd+"/"+name, func(t *testing.T) {
				var stderr bytes.Buffer
				var err error
				if cmd == "experiment" {
					_, err = experimentFlags(args, &stderr)
				} else {
					_, err = validateFlags(args, &stderr)
				}
				if err == nil || !strings.Contains(err.Error(), "sasl.jaas.config") {
					t.Fatalf("err = %v, want the JAAS entry refused", err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				out, _ := exec.CommandContext(ctx, prodlabBin(t), append([]string{cmd}, args...)...).CombinedOutput()
				t.Logf("prodlab %s: %s", cmd, out)
				if !strings.Contains(string(out), "sasl.jaas.config") {
					t.Errorf("prodlab %s does not name sasl.jaas.config:\n%s", cmd, out)
				}
				if strings.Contains(err.Error()+stderr.String()+string(out), pwX) {
					t.Errorf("the password shows in the error or on the terminal")
				}
			})
		}
	}
}

// readReport returns a report file's text, and fails t unless only its
// owner may read it (0600): it names the lab's addresses and settings.
func readReport(t *testing.T, f string) string {
	t.Helper()
	st, err := os.Stat(f)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600", filepath.Base(f), st.Mode().Perm())
	}
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAPIFlagRepeats: --api is repeatable, as -X is; each value adds its
// APIs (the flag package kept the last one only), and the lab's default
// goes at the first.
func TestAPIFlagRepeats(t *testing.T) {
	fs := newFlagSet("validate", &strings.Builder{}, "")
	tg, err := parseLabFlags(fs, []string{"--api", "a=http://127.0.0.1:1", "--api", "b=http://127.0.0.1:2,c=http://127.0.0.1:3"})
	if tg == nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range tg.APIs() {
		got = append(got, a.Name+"="+a.URL)
	}
	if want := "a=http://127.0.0.1:1 b=http://127.0.0.1:2 c=http://127.0.0.1:3"; strings.Join(got, " ") != want {
		t.Errorf("APIs = %v, want %s", got, want)
	}
}
