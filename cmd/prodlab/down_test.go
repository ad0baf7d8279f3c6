package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/runlock"
	"github.com/prodlab/prodlab/internal/wait"
)

// freePortArgs start a lab on free ports, with no console.
var freePortArgs = []string{"--broker-port", "0", "--proxy-port", "0", "--toxiproxy-port", "0",
	"--franz-port", "0", "--librdkafka-port", "0", "--console-port", "-1"}

// waitFor polls cond until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return wait.Until(ctx, cond) == nil
}

// gone reports whether pid has exited (no process, or a zombie).
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// pid (comm) state ...: the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// buildProdlab builds this command into dir.
func buildProdlab(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "prodlab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestDownStopsTheLab starts 'prodlab up' on a data dir, checks that a
// second 'up' on that dir fails at once naming the first one's PID, then
// stops the first with 'prodlab down'.
func TestDownStopsTheLab(t *testing.T) {
	tmp := t.TempDir()
	bin := buildProdlab(t, tmp)
	data := filepath.Join(tmp, "data")
	logPath := filepath.Join(tmp, "lab.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, append([]string{"up", "--data-dir", data}, freePortArgs...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if !gone(cmd.Process.Pid) {
			cmd.Process.Kill()
		}
	})
	logText := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	if !waitFor(2*time.Minute, func() bool { return strings.Contains(logText(), "prodlab is up") }) {
		t.Fatalf("lab not up after 2m:\n%s", logText())
	}
	if pid, err := runlock.Holder(data); err != nil || pid != cmd.Process.Pid {
		t.Fatalf("lock holder = %d, %v; want the lab's PID %d", pid, err, cmd.Process.Pid)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	began := time.Now()
	err = run(ctx, append([]string{"up", "--data-dir", data}, freePortArgs...))
	oneLine(t, err, "PID "+strconv.Itoa(cmd.Process.Pid))
	if !strings.Contains(err.Error(), "prodlab down --data-dir "+data) {
		t.Fatalf("second up: %q does not say how to stop the first", err)
	}
	t.Logf("second up failed in %s: %v", time.Since(began).Round(time.Millisecond), err)

	// Another data dir, but the first lab's broker port: the error names
	// the first lab as a prodlab and says how to stop it.
	m := regexp.MustCompile(`Kafka \(embedded, direct\)\s+127\.0\.0\.1:(\d+)`).FindStringSubmatch(logText())
	if m == nil {
		t.Fatalf("no broker address in the banner:\n%s", logText())
	}
	other := append([]string{"up", "--data-dir", filepath.Join(tmp, "other")}, freePortArgs...)
	other = append(other, "--broker-port", m[1])
	err = run(ctx, other)
	oneLine(t, err, "port "+m[1]+" is already in use by another prodlab lab, PID "+strconv.Itoa(cmd.Process.Pid))
	if !strings.Contains(err.Error(), "prodlab down --data-dir "+data) {
		t.Fatalf("busy port: %q does not say how to stop the other lab", err)
	}
	t.Logf("up on the first lab's port: %v", err)

	var out bytes.Buffer
	began = time.Now()
	if err := down(ctx, downConfig{dataDir: data, wait: 45 * time.Second}, &out); err != nil {
		t.Fatalf("down: %v\n%s", err, out.String())
	}
	t.Logf("down took %s:\n%s", time.Since(began).Round(time.Millisecond), out.String())
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("lab exited with %v after down, want 0:\n%s", err, logText())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("down returned but the lab process has not exited")
	}
	if !strings.Contains(out.String(), "Stopped prodlab PID "+strconv.Itoa(cmd.Process.Pid)) {
		t.Fatalf("down's report: %q", out.String())
	}
	if !strings.Contains(logText(), "producer closed") {
		t.Fatalf("the lab did not flush and close its producers:\n%s", logText())
	}
	out.Reset()
	if err := down(ctx, downConfig{dataDir: data, wait: time.Second}, &out); err != nil || !strings.Contains(out.String(), "nothing to stop") {
		t.Fatalf("down with no lab: %v, %q", err, out.String())
	}
}

// TestKillGoRunLeavesNoLab: `go run` does not pass SIGTERM on, so the lab
// must notice its parent, the go tool, dying and stop by itself.
func TestKillGoRunLeavesNoLab(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	logf, err := os.Create(filepath.Join(tmp, "lab.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	goRun := exec.Command("go", append([]string{"run", ".", "up", "--data-dir", data}, freePortArgs...)...)
	goRun.Stdout, goRun.Stderr = logf, logf
	if err := goRun.Start(); err != nil {
		t.Fatal(err)
	}
	labPID := 0
	t.Cleanup(func() {
		goRun.Process.Kill()
		if labPID > 0 && !gone(labPID) {
			syscall.Kill(labPID, syscall.SIGKILL)
		}
	})
	if !waitFor(4*time.Minute, func() bool {
		pid, err := runlock.Holder(data)
		labPID = pid
		return err == nil
	}) {
		b, _ := os.ReadFile(logf.Name())
		t.Fatalf("go run's lab holds no lock after 4m:\n%s", b)
	}
	st, _ := os.ReadFile("/proc/" + strconv.Itoa(labPID) + "/stat")
	if f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:])); len(f) < 2 || f[1] != strconv.Itoa(goRun.Process.Pid) {
		t.Fatalf("lab PID %d is not go run's child (stat %q)", labPID, st)
	}
	began := time.Now()
	if err := goRun.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	goRun.Wait()
	if !waitFor(45*time.Second, func() bool { return gone(labPID) }) {
		b, _ := os.ReadFile(logf.Name())
		t.Fatalf("lab PID %d still running 45s after `kill` on go run:\n%s", labPID, b)
	}
	if _, err := runlock.Holder(data); !errors.Is(err, runlock.ErrNotRunning) {
		t.Fatalf("data dir still locked after the lab exited: %v", err)
	}
	t.Logf("the lab exited %s after go run was killed", time.Since(began).Round(time.Millisecond))
}
