package kafkalocal

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// config holds everything Up, Down, Status and friends can be told. Its
// defaults live in defaultConfig and nowhere else.
type config struct {
	dir          string
	version      string
	java         string
	mvn          string
	jvmOpts      []string
	readyTimeout time.Duration
	stopTimeout  time.Duration
	keepData     bool
	out          io.Writer
}

// Option changes one setting of Up, Down, Status, KillBroker, StartBroker,
// WaitReady or Fetch.
type Option func(*config)

func defaultConfig() config {
	return config{
		dir:          filepath.Join(repoRoot(), ".prodlab", "kafka"),
		version:      Version,
		java:         "java",
		mvn:          "mvn",
		jvmOpts:      append(strings.Fields(HeapOpts), "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true"),
		readyTimeout: 3 * time.Minute,
		stopTimeout:  30 * time.Second,
		out:          io.Discard,
	}
}

func newConfig(opts []Option) config {
	c := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithDir sets the state directory (default <repo root>/.prodlab/kafka,
// where the repo root is the nearest directory upwards from the working
// directory that holds a go.mod, or the working directory itself). Jars are
// cached in <dir>/<version>/libs, broker files live in <dir>/run/<mode>.
func WithDir(dir string) Option {
	return func(c *config) {
		if dir != "" {
			c.dir = dir
		}
	}
}

// WithVersion overrides the pinned Kafka version (default Version).
func WithVersion(v string) Option {
	return func(c *config) {
		if v != "" {
			c.version = v
		}
	}
}

// WithJava sets the java executable (default "java" from PATH).
func WithJava(path string) Option {
	return func(c *config) {
		if path != "" {
			c.java = path
		}
	}
}

// WithMaven sets the mvn executable (default "mvn" from PATH).
func WithMaven(path string) Option {
	return func(c *config) {
		if path != "" {
			c.mvn = path
		}
	}
}

// WithJVMOptions replaces the broker JVM options (default HeapOpts plus G1
// settings).
func WithJVMOptions(opts ...string) Option {
	return func(c *config) { c.jvmOpts = append([]string(nil), opts...) }
}

// WithReadyTimeout bounds how long Up, StartBroker and WaitReady wait for
// the brokers (default 3 minutes). A context deadline, if earlier, wins.
func WithReadyTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.readyTimeout = d
		}
	}
}

// WithStopTimeout sets how long Down waits after SIGTERM before it sends
// SIGKILL (default 30 seconds).
func WithStopTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.stopTimeout = d
		}
	}
}

// WithKeepData makes Up restart stopped brokers on their existing data
// instead of formatting fresh storage.
func WithKeepData() Option {
	return func(c *config) { c.keepData = true }
}

// WithOutput sets where progress lines go (default: discarded).
func WithOutput(w io.Writer) Option {
	return func(c *config) {
		if w != nil {
			c.out = w
		}
	}
}

func (c config) libsDir() string         { return filepath.Join(c.dir, c.version, "libs") }
func (c config) runDir() string          { return filepath.Join(c.dir, "run") }
func (c config) modeDir(m string) string { return filepath.Join(c.runDir(), m) }
func (c config) currentFile() string     { return filepath.Join(c.runDir(), "current") }
func (c config) lockFile() string        { return filepath.Join(c.dir, "lock") }

func (c config) brokerDir(mode string, i int) string {
	return filepath.Join(c.modeDir(mode), "broker-"+itoa(i))
}

// repoRoot returns the nearest directory upwards from the working directory
// that holds a go.mod, or the working directory.
func repoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := wd; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return wd
		}
		d = parent
	}
}
