package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/bench"
	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// document assembles the report file from the VM's output: a header
// (date, machine, kernel, binaries, the command to rerun), ipvsbench's
// report, and every raw BENCH line.
func document(o options, kernel, ours string, started time.Time, loadBefore, output string) string {
	var b strings.Builder
	b.WriteString("# ipvsadm benchmark\n\n")
	fmt.Fprintf(&b, "- Date: %s\n", started.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- Host: %s, %d CPUs; guest: Debian's stock kernel %s under QEMU TCG, vCPUs: %d, %d MiB\n",
		cpuModel(), runtime.NumCPU(), kernel, o.cpus, o.mem)
	fmt.Fprintf(&b, "- Ours: %s; reference: Debian's `/sbin/ipvsadm` in the guest\n", ours)
	fmt.Fprintf(&b, "- Rerun: `%s`\n", rerunCommand())
	fmt.Fprintf(&b, "- Wall time of the whole VM run: %s\n", time.Since(started).Round(time.Second))
	fmt.Fprintf(&b, "- Host load average before / after: %s / %s (emulation slows down when other jobs share the host: "+
		"compare ratios from one run, never absolute times across runs)\n\n", loadBefore, loadAverage())

	report, ok := between(output, bench.ReportBegin, bench.ReportEnd)
	if !ok {
		b.WriteString("**ipvsbench printed no report.** The end of its output:\n\n```text\n")
		b.WriteString(tail(output, 60))
		b.WriteString("\n```\n")
	}
	b.WriteString(strings.TrimSpace(report))
	b.WriteString("\n\n## Raw measurements\n\nOne line per run (times in seconds, RSS in KiB).\n\n```text\n")
	for _, line := range strings.Split(output, "\n") {
		if strings.HasPrefix(line, "BENCH ") {
			b.WriteString(strings.TrimRight(line, "\r"))
			b.WriteString("\n")
		}
	}
	b.WriteString("```\n")
	return b.String()
}

// between returns the text between the lines begin and end.
func between(s, begin, end string) (string, bool) {
	_, after, ok := strings.Cut(s, begin+"\n")
	if !ok {
		return "", false
	}
	inner, _, ok := strings.Cut(after, end)
	return strings.ReplaceAll(inner, "\r", ""), ok
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// rerunCommand is the command line that reruns this benchmark.
func rerunCommand() string {
	parts := []string{"go", "run", "./internal/bench/cmd/benchvm"}
	for _, a := range os.Args[1:] {
		parts = append(parts, vmtest.ShellQuote(a))
	}
	return strings.Join(parts, " ")
}

// cpuModel returns the host CPU's model name, or "unknown CPU".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// loadAverage returns the host's 1-, 5- and 15-minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
