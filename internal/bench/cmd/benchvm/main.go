// Command benchvm times our ipvsadm against Debian's in one boot of the
// test VM (Debian's stock kernel under QEMU) and writes the report.
//
//	benchvm [-ours bin/ipvsadm] [-baseline old/ipvsadm] [-o build/bench.md] [-mem 3072] [-cpus 1] [-timeout 4h] [-- ipvsbench flags]
//
// It builds ipvsbench (static), boots the VM with it and our binary
// inside, runs "ipvsbench -ours ... [ipvsbench flags]", prints its output
// as it comes and writes the report (date, kernel, the command to rerun,
// the tables and every raw measurement) to the -o file. "-ours reference"
// pits the reference against itself, a check of the harness: every ratio
// should come out near 1. "-baseline" times another build of ours (the
// previous commit's, say) in the reference's place: a change's A/B in one
// boot.
package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// ipvsbenchPkg is the package benchvm builds and runs in the guest.
const ipvsbenchPkg = "github.com/ipvsadm-go/ipvsadm/internal/bench/cmd/ipvsbench"

// Guest paths.
const (
	guestBench = "/bench/ipvsbench"
	guestOurs  = "/bench/ours/ipvsadm"
	// guestBaseline is where -baseline puts another build of ours, under
	// both names the benchmark runs it by.
	guestBaseline        = "/bench/baseline/ipvsadm"
	guestBaselineRestore = "/bench/baseline/ipvsadm-restore"
)

// options are benchvm's flags.
type options struct {
	ours     string
	baseline string
	out      string
	mem      int
	cpus     int
	timeout  time.Duration
	quiet    bool
	goTool   string   // the go command that builds ipvsbench
	pass     []string // ipvsbench's flags
}

func main() {
	var o options
	flag.StringVar(&o.ours, "ours", "bin/ipvsadm", `our ipvsadm binary on the host, or "reference" to time the reference against itself`)
	flag.StringVar(&o.baseline, "baseline", "", "another build of ours (such as the previous commit's) to time in the reference's place: an A/B of a change in one boot")
	flag.StringVar(&o.out, "o", "build/bench.md", "write the report to this file")
	flag.IntVar(&o.mem, "mem", 3072, "guest memory in MiB")
	flag.IntVar(&o.cpus, "cpus", 1, "the guest's virtual CPUs (the README's figures use one)")
	flag.DurationVar(&o.timeout, "timeout", 4*time.Hour, "give up on the VM after this long")
	flag.BoolVar(&o.quiet, "q", false, "do not print VM progress")
	flag.StringVar(&o.goTool, "go", "go", "the go command that builds the guest's ipvsbench (looked up in PATH without a slash)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: benchvm [flags] [-- ipvsbench flags such as -sizes 200x5:2]")
		flag.PrintDefaults()
	}
	flag.Parse()
	o.pass = flag.Args()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "benchvm:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	logf := func(format string, args ...any) {
		if !o.quiet {
			fmt.Fprintf(os.Stderr, format+"\n", args...)
		}
	}
	tmp, err := os.MkdirTemp("", "benchvm-")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	benchBin := filepath.Join(tmp, "ipvsbench")
	if err := buildIpvsbench(o.goTool, benchBin); err != nil {
		return err
	}
	files := map[string]string{guestBench: benchBin}
	args := []string{guestBench}
	oursDesc := "the reference itself (`-ours reference`)"
	if o.ours == "reference" {
		args = append(args, "-ours", "/sbin/ipvsadm", "-ours-restore", "/sbin/ipvsadm-restore")
	} else {
		sum, err := fileSum(o.ours)
		if err != nil {
			return fmt.Errorf("our binary (build it with make build, or pass -ours): %w", err)
		}
		files[guestOurs] = o.ours
		args = append(args, "-ours", guestOurs)
		oursDesc = fmt.Sprintf("`%s` (sha256 %s)", o.ours, sum)
	}
	if o.baseline != "" {
		sum, err := fileSum(o.baseline)
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		files[guestBaseline], files[guestBaselineRestore] = o.baseline, o.baseline
		args = append(args, "-ref", guestBaseline, "-ref-restore", guestBaselineRestore)
		oursDesc += fmt.Sprintf("; in the reference's place (the \"reference\" columns): the baseline `%s` (sha256 %s)", o.baseline, sum)
	}
	args = append(args, o.pass...)

	cache, err := vmtest.CacheDir()
	if err != nil {
		return err
	}
	assets, err := vmtest.Prepare(cache, logf)
	if err != nil {
		return err
	}
	var quoted []string
	for _, a := range args {
		quoted = append(quoted, vmtest.ShellQuote(a))
	}
	var output bytes.Buffer
	vm := &vmtest.VM{
		Assets:   assets,
		Files:    files,
		Script:   "exec " + strings.Join(quoted, " ") + "\n",
		Output:   io.MultiWriter(os.Stdout, &output),
		MemoryMB: o.mem,
		CPUs:     o.cpus,
		Timeout:  o.timeout,
		Log:      logf,
	}
	started, load := time.Now(), loadAverage()
	status, vmErr := vm.Run()
	if vmErr == nil && status != 0 {
		vmErr = fmt.Errorf("ipvsbench exited with status %d", status)
	}
	doc := document(o, assets.KernelRelease, oursDesc, started, load, output.String())
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return errors.Join(vmErr, fmt.Errorf("report: %w", err))
	}
	if err := os.WriteFile(o.out, []byte(doc), 0o644); err != nil {
		return errors.Join(vmErr, fmt.Errorf("report: %w", err))
	}
	logf("benchvm: report written to %s", o.out)
	return vmErr
}

// buildIpvsbench builds the static ipvsbench into out with the go command
// goTool.
func buildIpvsbench(goTool, out string) error {
	cmd := exec.Command(goTool, "build", "-trimpath", "-o", out, ipvsbenchPkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building ipvsbench (run from the repository): %w\n%s", err, msg)
	}
	return nil
}

// fileSum returns the first 16 hex digits of name's SHA-256.
func fileSum(name string) (string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))[:16], nil
}
