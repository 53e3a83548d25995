package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Usage is what one run of a child process cost.
type Usage struct {
	// Wall is the time from just before starting the child to just after
	// waiting for it.
	Wall time.Duration
	// User and Sys are the CPU times of the child and its children.
	User, Sys time.Duration
	// MaxRSSKiB is the child's peak resident set (ru_maxrss, which for a
	// script includes the children it waited for), in KiB.
	MaxRSSKiB int64
}

// childEnv is the environment of every measured child, whichever binary.
func childEnv() []string {
	return []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"}
}

// runChild runs argv under the meter inside ns (nil: this process's
// namespace), with stdin read from the file stdin (or /dev/null when
// empty) and stdout written to the file stdout, and measures it. A
// non-zero exit or anything on standard error is an error (every measured
// operation succeeds silently).
func (mt *Meter) runChild(ns *NetNS, argv []string, stdin, stdout string) (Usage, error) {
	if stdin == "" {
		stdin = os.DevNull
	}
	what := strings.Join(argv, " ")
	in, err := os.Open(stdin)
	if err != nil {
		return Usage{}, fmt.Errorf("running %s: %w", what, err)
	}
	defer in.Close()
	errName, rssName := filepath.Join(mt.dir, "stderr"), filepath.Join(mt.dir, "maxrss")
	var files [2]*os.File // stdout, stderr
	for i, name := range []string{stdout, errName} {
		if files[i], err = os.Create(name); err != nil {
			return Usage{}, fmt.Errorf("running %s: %w", what, err)
		}
		defer files[i].Close()
	}
	os.Remove(rssName)

	cmd := exec.Command(mt.busybox, slices.Concat([]string{"time", "-f", "%M", "-o", rssName}, argv)...)
	cmd.Env = childEnv()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, files[0], files[1]
	start := cmd.Start
	if ns != nil {
		start = func() error { return ns.Start(cmd) }
	}
	began := time.Now()
	if err := start(); err != nil {
		return Usage{}, fmt.Errorf("starting %s: %w", what, err)
	}
	waitErr := cmd.Wait()
	u := Usage{Wall: time.Since(began), User: cmd.ProcessState.UserTime(), Sys: cmd.ProcessState.SystemTime()}

	msg, _ := os.ReadFile(errName)
	if waitErr != nil || len(msg) > 0 {
		if len(msg) > 2000 {
			msg = append(msg[:2000], "..."...)
		}
		if waitErr == nil {
			waitErr = errors.New("exit status 0")
		}
		return u, fmt.Errorf("%s: %w; stderr: %q", what, waitErr, strings.TrimSpace(string(msg)))
	}
	if u.MaxRSSKiB, err = mt.readRSS(rssName); err != nil {
		return u, fmt.Errorf("%s: %w", what, err)
	}
	return u, nil
}

// readRSS reads the last line busybox time wrote (%M) and converts it to
// KiB.
func (mt *Meter) readRSS(name string) (int64, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return 0, fmt.Errorf("peak RSS: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	v, err := strconv.ParseInt(strings.TrimSpace(lines[len(lines)-1]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("peak RSS: busybox time wrote %q", b)
	}
	return v / mt.factor, nil
}
