// Command ipvsbench times two ipvsadm binaries against each other on the
// running kernel's IPVS. It runs inside the test VM (see benchvm), as root.
//
//	ipvsbench -ours PATH [-ours-restore PATH] [-ref PATH] [-ref-restore PATH]
//	          [-sizes 1000x10:3,10000x10:3,10000x1:3,50000x2:3,100000x1:3,1000x100:3] [-full-runs 1]
//	          [-ops restore,list,save,stats,clear,restore-full,converge-full,conns] [-conns 100000] [-dir DIR]
//	ipvsbench floor [-job restore|list|proc|dumps|conns] -size SIZE
//
// For each size it writes a deterministic rule file, then for each
// operation runs the reference, ours (and, for restore, -Ln, -Sn and -Lnc, the floor program)
// in turn, each run in a fresh network namespace made only once the
// previous one is torn down, and checks the table afterwards. It prints a
// "BENCH {json}" line per run as it goes, progress on standard error, and
// at the end a Markdown report between the lines bench.ReportBegin and
// bench.ReportEnd.
//
// "ipvsbench floor" is the floor program (bench.Floor): with -job restore
// it sends the rule set of SIZE, encoded straight from the generator,
// with Client.Batch into its own namespace; with -job list it reads what
// a listing needs from the kernel, the service dump and each service's
// destinations through the socket-option interface (-job proc and -job
// dumps: the other ways, /proc/net/ip_vs or a dump per service); with -job
// conns it reads /proc/net/ip_vs_conn.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/bench"
	"github.com/ipvsadm-go/ipvsadm/internal/procs"
)

func main() {
	var err error
	switch {
	case len(os.Args) > 1 && os.Args[1] == "floor":
		// The floor runs with the same runtime setting as ipvsadm-go.
		procs.KeepOneSpare()
		err = floorMain(os.Args[2:])
	default:
		err = benchMain(os.Args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ipvsbench:", err)
		os.Exit(1)
	}
}

// floorMain is "ipvsbench floor -size SIZE".
func floorMain(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	job := fs.String("job", bench.FloorRestore, "the floor's job: restore (send the rule set), list (dump the services, then read each one's destinations through the socket-option interface), proc (dump the services, read /proc/net/ip_vs), dumps (dump the services, then each one's destinations) or conns (read /proc/net/ip_vs_conn)")
	sizeText := fs.String("size", "", "rule-set size, such as 10000x10")
	if err := fs.Parse(args); err != nil {
		return err
	}
	size, err := bench.ParseSize(*sizeText)
	if err != nil {
		return err
	}
	return bench.Floor(*job, size, os.Stdout)
}

// benchMain runs the benchmark.
func benchMain(args []string) error {
	fs := flag.NewFlagSet("ipvsbench", flag.ContinueOnError)
	ours := fs.String("ours", "", "our ipvsadm binary (required)")
	oursRestore := fs.String("ours-restore", "", "our ipvsadm-restore (default: a symlink named ipvsadm-restore to -ours)")
	ref := fs.String("ref", "/sbin/ipvsadm", "the reference ipvsadm")
	refRestore := fs.String("ref-restore", "/sbin/ipvsadm-restore", "the reference ipvsadm-restore")
	sizes := fs.String("sizes", "1000x10:3,10000x10:3,10000x1:3,50000x2:3,100000x1:3,1000x100:3", "rule-set sizes SERVICESxDESTS[:RUNS], comma-separated")
	fullRuns := fs.Int("full-runs", 1, "at most this many runs of restore-full (ipvsadm-restore onto a full table) per size")
	ops := fs.String("ops", "restore,list,save,stats,clear,restore-full,converge-full", "operations to time, comma-separated (conns is not a default)")
	conns := fs.Int("conns", 100000, fmt.Sprintf("connection entries the conns operation makes (at most %d)", bench.MaxConns))
	dir := fs.String("dir", "/tmp/ipvsbench", "scratch directory")
	busybox := fs.String("busybox", "busybox", "the busybox whose time applet starts and measures each command")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *ours == "" || fs.NArg() != 0 {
		return errors.New("usage: ipvsbench -ours PATH [flags] (see -h)")
	}
	sizeRuns, err := bench.ParseSizes(*sizes, 3)
	if err != nil {
		return err
	}
	opList, err := bench.SelectOps(*ops)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding myself: %w", err)
	}
	if *oursRestore == "" {
		if *oursRestore, err = personalityLink(*dir, *ours, "ipvsadm-restore"); err != nil {
			return err
		}
	}
	cfg := bench.Config{
		Reference: bench.Binary{Name: bench.ImplReference, Path: *ref, Restore: *refRestore},
		Ours:      bench.Binary{Name: bench.ImplOurs, Path: *ours, Restore: *oursRestore},
		Sizes:     sizeRuns,
		Ops:       opList,
		FullRuns:  *fullRuns,
		Dir:       *dir,
		FloorCommand: func(job string, s bench.Size) []string {
			return []string{self, "floor", "-job", job, "-size", s.String()}
		},
		Conns: *conns,
		Log:   func(format string, a ...any) { fmt.Fprintf(os.Stderr, "ipvsbench: "+format+"\n", a...) },
		Emit:  func(m bench.Measurement) { fmt.Println(m.MachineLine()) },
	}
	if cfg.Meter, err = bench.NewMeter(*busybox, *dir); err != nil {
		return err
	}
	header := reportHeader(cfg, args)
	header = append(header, fmt.Sprintf("Peak RSS floor (busybox time running `true`; no command can show less): %d KiB", cfg.Meter.Floor))
	start := time.Now()
	ms, runErr := bench.Run(cfg)
	header = append(header, fmt.Sprintf("Benchmark time: %s (%d runs)", time.Since(start).Round(time.Second), len(ms)))
	if runErr != nil {
		header = append(header, "**Incomplete: "+runErr.Error()+"**")
	}
	fmt.Println(bench.ReportBegin)
	err = bench.WriteReport(os.Stdout, bench.Report{Header: header, Sizes: sizeRuns, Ops: opList, Conns: *conns, Measurements: ms})
	fmt.Println(bench.ReportEnd)
	return errors.Join(runErr, err)
}

// personalityLink makes dir/ours/name, a symlink to bin, so that a
// multi-call binary sees name as argv[0], and returns its path.
func personalityLink(dir, bin, name string) (string, error) {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return "", fmt.Errorf("linking %s: %w", name, err)
	}
	d := filepath.Join(dir, "ours")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("linking %s: %w", name, err)
	}
	link := filepath.Join(d, name)
	os.Remove(link)
	if err := os.Symlink(abs, link); err != nil {
		return "", fmt.Errorf("linking %s: %w", name, err)
	}
	return link, nil
}

// reportHeader describes the machine and the binaries.
func reportHeader(cfg bench.Config, args []string) []string {
	var uts unix.Utsname
	release := "unknown"
	if unix.Uname(&uts) == nil {
		release = unix.ByteSliceToString(uts.Release[:])
	}
	return []string{
		"Kernel: " + release,
		fmt.Sprintf("Reference: `%s` (%s), `%s`", cfg.Reference.Path, version(cfg.Reference.Path), cfg.Reference.Restore),
		fmt.Sprintf("Ours: `%s` (%s), `%s`", cfg.Ours.Path, version(cfg.Ours.Path), cfg.Ours.Restore),
		"ipvsbench flags: `" + strings.Join(args, " ") + "`",
	}
}

// version returns the first line of "bin --version", or why not.
func version(bin string) string {
	out, err := exec.Command(bin, "--version").CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if err != nil {
		return fmt.Sprintf("--version failed: %v %s", err, line)
	}
	return line
}
