package proctable

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// FuzzRead feeds the /proc reader anything: an error or a table, never a
// panic.
func FuzzRead(f *testing.F) {
	f.Add(kernelText)
	f.Add("IP Virtual Server version 1.2.1 (size=4096)\nProt\n  ->\nTCP  0A000001:0050 rr\n  -> 0A000005:0050      Masq    1      0          0\n")
	f.Add("x\ny\nz\nFWM  00000007 lc \nFWM  00000007 lc \n  -> [::1]:0000      Route   1      0          0\n")
	f.Fuzz(func(t *testing.T, s string) {
		tab, err := Read(strings.NewReader(s))
		if err == nil && tab == nil {
			t.Fatal("no table and no error")
		}
	})
}

// FuzzReadAgrees reads anything with both the reader and the reference
// reader it replaced (reference_test.go): both accept or both reject, and
// every service either lists has the same destinations in both.
func FuzzReadAgrees(f *testing.F) {
	f.Add(kernelText)
	f.Add("IP Virtual Server version 1.2.1 (size=4096)\nProt\n  ->\nTCP  0A000001:0050 rr\n  -> 0A000005:0050      Masq    1      0          0\n")
	f.Add("x\ny\nz\nFWM  00000007 lc \nFWM  00000007 lc \n  -> [::1]:0000      Route   1      0          0\n")
	f.Add("x\ny\nz\nUDP  [fe80::1%lo]:0035 rr\n")
	f.Add("x\ny\nz\nTCP\t0a0000FF:ffff\tsh\n  -> 0A000005:0050\tLocal\t4294967295 1 2\r\n  -> 0A000005:0050 Masq 4294967296 1 2\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, line := range strings.Split(s, "\n") {
			if len(line) >= 64<<10 { // the reader refuses such lines; the kernel writes none
				return
			}
		}
		tab, err := Read(strings.NewReader(s))
		ref, refErr := readRef(strings.NewReader(s))
		if (err == nil) != (refErr == nil) {
			t.Fatalf("Read error %v, reference error %v", err, refErr)
		}
		if err != nil {
			if err.Error() != refErr.Error() {
				t.Fatalf("Read error %q, reference error %q", err, refErr)
			}
			return
		}
		for key := range ref.dests {
			keys := []ipvs.ServiceKey{key}
			if key.FWMark != 0 {
				keys = []ipvs.ServiceKey{{Family: ipvs.INET, FWMark: key.FWMark}, {Family: ipvs.INET6, FWMark: key.FWMark}}
			}
			for _, k := range keys {
				got, known := tab.Destinations(k)
				want, refKnown := ref.destinations(k)
				if known != refKnown || !reflect.DeepEqual(got, want) {
					t.Fatalf("%+v: Read gives %v (known %v), reference %v (known %v)", k, got, known, want, refKnown)
				}
			}
		}
		if len(tab.dests) != len(ref.dests) {
			t.Fatalf("Read knows %d services, reference %d", len(tab.dests), len(ref.dests))
		}
	})
}
