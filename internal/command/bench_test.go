package command

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// discard is a Backend that accepts every change without a kernel: what is
// left of a restore is reading, parsing and building the requests.
type discard struct{ Backend }

func (discard) Changes(cs []rule.Command) []error { return make([]error, len(cs)) }

// BenchmarkRestoreLines is the restore loop without the kernel, per line
// of a save file of 1,000 services with 10 servers each.
func BenchmarkRestoreLines(b *testing.B) {
	var file strings.Builder
	for s := range 1000 {
		fmt.Fprintf(&file, "-A -t 10.0.%d.%d:80 -s wlc\n", s/256, s%256)
		for d := range 10 {
			fmt.Fprintf(&file, "-a -t 10.0.%d.%d:80 -r 172.16.%d.%d:80 -m -w 1\n", s/256, s%256, s%256, d)
		}
	}
	input := file.String()
	r := &Runner{Backend: discard{}, Stderr: io.Discard, Stdout: io.Discard, Prog: "ipvsadm"}
	b.ReportAllocs()
	for b.Loop() {
		if st := r.Restore(strings.NewReader(input)); st != 0 {
			b.Fatalf("status %d", st)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/11000, "ns/line")
}
