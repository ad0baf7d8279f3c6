package doctest

// This file builds and runs the repository's Java programs (Maven projects
// under tests/java and the Java tutorial's API) for the tests. They skip
// when java or mvn is missing, unless PRODLAB_REQUIRE_JAVA=1 (set by
// `make test`), where a missing tool fails them.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// javaTools returns the paths of java and mvn, or skips t when one is missing
// (fails it under PRODLAB_REQUIRE_JAVA=1).
func javaTools(t testing.TB) (java, mvn string) {
	t.Helper()
	java, jerr := exec.LookPath("java")
	mvn, merr := exec.LookPath("mvn")
	if jerr == nil && merr == nil {
		return java, mvn
	}
	msg := "the Java tests need java (JDK 17+) and mvn on PATH: " + errors.Join(jerr, merr).Error()
	if os.Getenv("PRODLAB_REQUIRE_JAVA") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return "", ""
}

// repoRoot returns the repository's root directory, two levels above this
// package's.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// mvnMu runs one Maven build at a time in this process: builds share the
// local repository (~/.m2).
var mvnMu sync.Mutex

// mvnBuild compiles the Maven project in dir (a directory holding pom.xml)
// with the -D properties props. A project under tests/java builds into
// out, passed as -Dprodlab.build.dir, so the tree stays clean; "" means a
// fresh directory under t.TempDir. The project writes its runtime
// classpath to out/classpath.txt (mdep.outputFile). Build returns the
// program's classpath: out/classes, then the dependencies. It tries Maven
// offline first, then online, so a warm ~/.m2 needs no network.
func mvnBuild(t testing.TB, dir, out string, props ...string) string {
	t.Helper()
	_, mvn := javaTools(t)
	if out == "" {
		out = t.TempDir()
	}
	args := []string{"-q", "-B", "-f", filepath.Join(dir, "pom.xml"), "-Dprodlab.build.dir=" + out}
	for _, p := range props {
		args = append(args, "-D"+p)
	}
	args = append(args, "compile", "dependency:build-classpath")
	mvnMu.Lock()
	defer mvnMu.Unlock()
	start := time.Now()
	if _, err := runMvn(mvn, append([]string{"-o"}, args...)); err != nil {
		if msg, err := runMvn(mvn, args); err != nil {
			t.Fatalf("mvn %s: %v\n%s", strings.Join(args, " "), err, msg)
		}
	}
	t.Logf("mvn built %s %v in %v", filepath.Base(dir), props, time.Since(start).Round(time.Millisecond))
	cp, err := os.ReadFile(filepath.Join(out, "classpath.txt"))
	if err != nil {
		t.Fatalf("mvn wrote no classpath: %v", err)
	}
	return filepath.Join(out, "classes") + string(os.PathListSeparator) + strings.TrimSpace(string(cp))
}

func runMvn(name string, args []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var b bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.String(), err
}

// javaRun runs main class main of classpath cp with args and returns its
// standard output; it fails t, with both outputs, if the program fails or
// outlives timeout.
func javaRun(t testing.TB, cp string, timeout time.Duration, main string, args ...string) string {
	t.Helper()
	java, _ := javaTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, java, append([]string{"-cp", cp, main}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("java %s %s: %v\nstdout:\n%s\nstderr:\n%s", main, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	if testing.Verbose() {
		t.Logf("java %s stderr:\n%s", main, stderr.String())
	}
	return stdout.String()
}
