package kafkalocal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// cfg holds the settings of the package's entry points, defaults in
// newConfig. Only tests change version, mvn, mavenRepo and cache.
type cfg struct {
	dir          string
	dirSet       bool   // Dir was given
	cache        string // the jar cache of this version: its libs are the class path
	mavenRepo    string // whose <jar>.sha1 a fetch checks each jar against
	version      string
	mvn          string
	readyTimeout time.Duration
	stopTimeout  time.Duration
	keepData     bool
	out          io.Writer
}

// Opt changes one setting of the package's entry points, which refuse a
// bad one with ErrOption.
type Opt func(*cfg)

// ErrOption wraps every refused Opt value.
var ErrOption = errors.New("kafkalocal: bad option")

// jvmOpts are the JVM options of every broker.
var jvmOpts = append(strings.Fields(HeapOpts), "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true")

// newConfig applies opts over the defaults and checks the result. The jars
// are cached in <dir>/<version> given Dir, else in the user cache dir.
func newConfig(opts []Opt) (cfg, error) {
	c := cfg{
		dir:          defaultDir(),
		mavenRepo:    "https://repo1.maven.org/maven2",
		version:      Version,
		mvn:          "mvn",
		readyTimeout: 3 * time.Minute,
		stopTimeout:  30 * time.Second,
		out:          io.Discard,
	}
	for _, o := range opts {
		o(&c)
	}
	if c.dirSet {
		c.cache = filepath.Join(c.dir, c.version)
	} else if ucd, err := os.UserCacheDir(); err == nil {
		c.cache = filepath.Join(ucd, "prodlab", "kafka-"+c.version)
	}
	var errs []error
	for _, v := range []struct {
		bad  bool
		what string
	}{
		{c.dir == "", "Dir is empty"},
		{c.cache == "", "no user cache directory ($XDG_CACHE_HOME or $HOME) for the jars: give Dir"},
		{c.readyTimeout <= 0, fmt.Sprintf("ReadyTimeout %v is not positive", c.readyTimeout)},
		{c.stopTimeout <= 0, fmt.Sprintf("StopTimeout %v is not positive", c.stopTimeout)},
		{c.out == nil, "Output is nil"},
	} {
		if v.bad {
			errs = append(errs, fmt.Errorf("%w: %s", ErrOption, v.what))
		}
	}
	return c, errors.Join(errs...)
}

// Dir sets the state directory, default defaultDir's. Broker files live in
// <dir>/run/<mode>; given Dir, the jars are cached in <dir>/<version>/libs.
func Dir(dir string) Opt { return func(c *cfg) { c.dir, c.dirSet = dir, true } }

// ReadyTimeout bounds how long Up, StartBroker and WaitReady wait for the
// brokers, default 3 minutes.
func ReadyTimeout(d time.Duration) Opt { return func(c *cfg) { c.readyTimeout = d } }

// StopTimeout sets how long Down waits after SIGTERM before it sends
// SIGKILL (default 30 seconds).
func StopTimeout(d time.Duration) Opt { return func(c *cfg) { c.stopTimeout = d } }

// KeepData makes Up restart stopped brokers on their data, not fresh storage.
func KeepData() Opt { return func(c *cfg) { c.keepData = true } }

// Output sets where progress lines go (default: discarded).
func Output(w io.Writer) Opt { return func(c *cfg) { c.out = w } }

func (c cfg) libsDir() string         { return filepath.Join(c.cache, "libs") }
func (c cfg) runDir() string          { return filepath.Join(c.dir, "run") }
func (c cfg) modeDir(m string) string { return filepath.Join(c.runDir(), m) }
func (c cfg) currentFile() string     { return filepath.Join(c.runDir(), "current") }

// defaultDir returns .prodlab/kafka in the nearest directory upwards from
// the working directory whose go.mod declares prodlab's module, else
// <user cache dir>/prodlab/kafka, else .prodlab/kafka.
func defaultDir() string {
	wd, err := os.Getwd()
	if err != nil {
		wd = "."
	}
	// The nearest go.mod upwards whose module line names prodlab's module.
	isProdlab := func(line string) bool {
		f := strings.Fields(line)
		return len(f) == 2 && f[0] == "module" && strings.Trim(f[1], `"`) == "github.com/prodlab/prodlab"
	}
	for d, prev := wd, ""; d != prev; d, prev = filepath.Dir(d), d {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && slices.ContainsFunc(strings.Split(string(b), "\n"), isProdlab) {
			return filepath.Join(d, ".prodlab", "kafka")
		}
	}
	if ucd, err := os.UserCacheDir(); err == nil {
		return filepath.Join(ucd, "prodlab", "kafka")
	}
	return filepath.Join(wd, ".prodlab", "kafka")
}
