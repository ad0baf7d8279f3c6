package kafkalocal

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeMaven writes an mvn stand-in that copies two jars, in the
// repository layout, where -DoutputDirectory says, and counts its runs in
// dir/runs.
func fakeMaven(t *testing.T, dir string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the mvn stand-in is a shell script")
	}
	script := `#!/bin/sh
echo run >> "` + dir + `/runs"
for a in "$@"; do case "$a" in -DoutputDirectory=*) out="${a#-DoutputDirectory=}";; esac; done
mkdir -p "$out/org/apache/kafka/kafka_2.13/9.9.9" "$out/org/example/dep/1.0"
printf kafka > "$out/org/apache/kafka/kafka_2.13/9.9.9/kafka_2.13-9.9.9.jar"
printf dep > "$out/org/example/dep/1.0/dep-1.0.jar"
`
	path := filepath.Join(dir, "mvn")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func sha1Hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestFetchChecksJars: Fetch checks each jar against the SHA-1 published
// beside it by a stand-in for Maven Central, keeps the checksums, and
// later checks the cache offline; a jar that differs from the published
// SHA-1, a jar changed in the cache and a jar added to it are refused.
func TestFetchChecksJars(t *testing.T) {
	dir := t.TempDir()
	mvn := fakeMaven(t, dir)
	var requests atomic.Int32
	depSum := sha1Hex("dep")
	central := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		switch r.URL.Path {
		case "/maven2/org/apache/kafka/kafka_2.13/9.9.9/kafka_2.13-9.9.9.jar.sha1":
			w.Write([]byte(sha1Hex("kafka") + "  kafka_2.13-9.9.9.jar\n"))
		case "/maven2/org/example/dep/1.0/dep-1.0.jar.sha1":
			w.Write([]byte(depSum))
		default:
			http.NotFound(w, r)
		}
	}))
	defer central.Close()
	runs := func() int {
		b, _ := os.ReadFile(filepath.Join(dir, "runs"))
		return strings.Count(string(b), "run")
	}
	ctx := context.Background()
	cache := filepath.Join(dir, "cache")
	// A stand-in mvn, version and repository, and a jar cache of its own.
	config := func(cache string) cfg {
		t.Helper()
		c, err := newConfig(nil)
		if err != nil {
			t.Fatal(err)
		}
		c.mvn, c.version, c.mavenRepo, c.cache = mvn, "9.9.9", central.URL+"/maven2", cache
		return c
	}
	c := config(cache)

	libs, err := fetch(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if libs != filepath.Join(cache, "libs") {
		t.Errorf("libs = %s", libs)
	}
	jars, _ := filepath.Glob(filepath.Join(libs, "*.jar"))
	if strings.Join(jars, ",") != filepath.Join(libs, "dep-1.0.jar")+","+filepath.Join(libs, "kafka_2.13-9.9.9.jar") || requests.Load() != 2 || runs() != 1 {
		t.Fatalf("first fetch: jars %v, %d checksum requests, %d mvn runs", jars, requests.Load(), runs())
	}
	// Fetched once and stored: a second Fetch asks nobody.
	if _, err := fetch(ctx, c); err != nil || requests.Load() != 2 || runs() != 1 {
		t.Fatalf("second fetch: %v, %d checksum requests, %d mvn runs", err, requests.Load(), runs())
	}

	// A jar changed in the cache, then one added to it: refused.
	jar := filepath.Join(libs, "dep-1.0.jar")
	if err := os.WriteFile(jar, []byte("evil"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := fetch(ctx, c); !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "dep-1.0.jar") {
		t.Errorf("a changed jar: %v, want ErrChecksum naming it", err)
	}
	if err := os.WriteFile(jar, []byte("dep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(libs, "extra.jar"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := fetch(ctx, c); !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "extra.jar") {
		t.Errorf("an added jar: %v, want ErrChecksum naming it", err)
	}

	// A download whose jar differs from the published SHA-1: refused, and
	// no libs directory is left to use.
	depSum = sha1Hex("something else")
	cache2 := filepath.Join(dir, "cache2")
	_, err = fetch(ctx, config(cache2))
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "org/example/dep/1.0/dep-1.0.jar has SHA-1 "+sha1Hex("dep")) {
		t.Fatalf("a mismatching download: %v, want ErrChecksum naming the jar", err)
	}
	t.Logf("refused: %v", err)
	for _, d := range []string{"libs", "libs.partial", "libs.repo"} {
		if _, err := os.Stat(filepath.Join(cache2, d)); !os.IsNotExist(err) {
			t.Errorf("%s left after a refused fetch: %v", d, err)
		}
	}
}

// TestCacheDirs: the jars default to the user's cache directory, or to
// <dir>/<version> under a given Dir; a go.mod other than prodlab's above
// the working directory does not choose the state directory.
func TestCacheDirs(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	t.Setenv("HOME", home)
	ucd, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	c, err := newConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(ucd, "prodlab", "kafka-"+Version, "libs"); c.libsDir() != want {
		t.Errorf("default libs %s, want %s", c.libsDir(), want)
	}
	c, err = newConfig([]Opt{Dir("/srv/k")})
	if err != nil || c.libsDir() != filepath.Join("/srv/k", Version, "libs") {
		t.Errorf("libs under Dir: %s %v", c.libsDir(), err)
	}
	stray := t.TempDir()
	if err := os.WriteFile(filepath.Join(stray, "go.mod"), []byte("module example.com/evil\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(stray, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(stray, "sub"))
	if d := defaultDir(); d != filepath.Join(ucd, "prodlab", "kafka") {
		t.Errorf("under a stray go.mod, the state dir is %s", d)
	}
	if err := os.WriteFile(filepath.Join(stray, "go.mod"), []byte("module github.com/prodlab/prodlab\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d := defaultDir(); d != filepath.Join(stray, ".prodlab", "kafka") {
		t.Errorf("in a prodlab clone, the state dir is %s", d)
	}
}
