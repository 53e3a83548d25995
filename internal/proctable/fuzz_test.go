package proctable

import (
	"strings"
	"testing"
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
