package command

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/rule"
	"golang.org/x/sys/unix"
)

// discard is a Backend that accepts every change without a kernel: what is
// left of a restore is reading and parsing the lines.
type discard struct{ Backend }

func (discard) Changes(cs []rule.Command) []error { return make([]error, len(cs)) }

// encodeDiscard is a Backend that builds each change's request as Kernel
// does, then drops it: what is left of a restore is all its user-space
// work but the sending.
type encodeDiscard struct {
	Backend
	batch kernelBatch
}

func (e *encodeDiscard) Changes(cs []rule.Command) []error {
	errs := make([]error, len(cs))
	_, bad := e.batch.requests(cs)
	e.batch.enc.Reset()
	for i, err := range bad {
		errs[i] = err
	}
	return errs
}

// saveFile is a save file of services services with servers servers each,
// and its number of lines.
func saveFile(services, servers int) (string, int) {
	var file strings.Builder
	for s := range services {
		fmt.Fprintf(&file, "-A -t 10.%d.%d.%d:80 -s wlc\n", s>>16, s>>8&0xff, s&0xff)
		for d := range servers {
			fmt.Fprintf(&file, "-a -t 10.%d.%d.%d:80 -r 172.%d.%d.%d:80 -m -w 1\n", s>>16, s>>8&0xff, s&0xff, 16+d, s>>8&0xff, s&0xff)
		}
	}
	return file.String(), services * (1 + servers)
}

// benchmarkRestore runs a restore of input (lines long) through backend
// and reports the time per line.
func benchmarkRestore(b *testing.B, backend Backend, input string, lines int) {
	r := &Runner{Backend: backend, Stderr: io.Discard, Stdout: io.Discard, Prog: "ipvsadm"}
	b.ReportAllocs()
	b.SetBytes(int64(len(input)))
	for b.Loop() {
		if st := r.Restore(strings.NewReader(input)); st != 0 {
			b.Fatalf("status %d", st)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(lines), "ns/line")
}

// BenchmarkRestoreLines is the restore loop without the kernel, per line
// of a save file of 1,000 services with 10 servers each.
func BenchmarkRestoreLines(b *testing.B) {
	input, lines := saveFile(1000, 10)
	benchmarkRestore(b, discard{}, input, lines)
}

// BenchmarkRestoreRequests is the restore's whole user-space path but the
// sending (reading, parsing and building each line's request), per line,
// at the shapes of a kube-proxy table (10,000 services with one server)
// and of a bigger cluster (1,000 services with 10 servers).
func BenchmarkRestoreRequests(b *testing.B) {
	for _, shape := range []struct{ services, servers int }{{10000, 1}, {1000, 10}} {
		b.Run(fmt.Sprintf("%dx%d", shape.services, shape.servers), func(b *testing.B) {
			input, lines := saveFile(shape.services, shape.servers)
			benchmarkRestore(b, new(encodeDiscard), input, lines)
		})
	}
}

// cpuTime is the CPU time, user and system, that the process has used: on
// a shared machine it varies less than the time per operation does.
func cpuTime(b *testing.B) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkListing is -Ln, -Sn and -Ln --stats of every service in user
// space: the service list from a fake kernel and the destinations from the
// text of /proc/net/ip_vs, as the kernel would give them, or, for --stats,
// from the fake kernel's dump of each service, at the bench's shapes
// (services x servers).
func BenchmarkListing(b *testing.B) {
	for _, shape := range []struct{ services, servers int }{{100000, 1}, {10000, 10}, {1000, 100}} {
		var rules, proc strings.Builder
		proc.WriteString("IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n")
		k := 0
		for s := range shape.services {
			vip := 10<<24 + s + 1
			fmt.Fprintf(&rules, "-A -t %d.%d.%d.%d:80 -s wlc\n", vip>>24, vip>>16&255, vip>>8&255, vip&255)
			fmt.Fprintf(&proc, "TCP  %08X:0050 wlc \n", vip)
			for range shape.servers {
				rip := 172<<24 | 16<<16 + k + 1
				fmt.Fprintf(&rules, "-a -t %d.%d.%d.%d:80 -r %d.%d.%d.%d:80 -m -w %d\n", vip>>24, vip>>16&255, vip>>8&255, vip&255,
					rip>>24, rip>>16&255, rip>>8&255, rip&255, 1+k%100)
				fmt.Fprintf(&proc, "  -> %08X:0050      Masq    %-6d 0          0         \n", rip, 1+k%100)
				k++
			}
		}
		kernel := newFakeKernel(b, rules.String())
		text := proc.String()
		for _, args := range [][]string{{"-Ln"}, {"-Sn"}, {"-Ln", "--stats"}} {
			b.Run(fmt.Sprintf("%dx%d/%s", shape.services, shape.servers, strings.Join(args, "")), func(b *testing.B) {
				var out bytes.Buffer // a buffer, as standard output is (see render)
				r := &Runner{Backend: kernel, Stdout: &out, Stderr: io.Discard, Prog: "ipvsadm",
					OpenTable: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil }}
				c, err := rule.Parse(r.Prog, args, r.parseOptions())
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				start := cpuTime(b)
				for b.Loop() {
					out.Reset()
					if o := r.Execute(c, false); o.Status != 0 {
						b.Fatalf("status %d", o.Status)
					}
				}
				b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
				if lines := strings.Count(out.String(), "\n"); lines < shape.services*(1+shape.servers) {
					b.Fatalf("%d lines listed", lines)
				}
			})
		}
	}
}
