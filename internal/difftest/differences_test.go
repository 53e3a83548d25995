package difftest

import (
	"os"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// TestDeliberateDifferences runs, through both binaries, the inputs on
// which we differ from ipvsadm 1.31 on purpose (README, "Deliberate
// differences"), and checks that the reference still behaves as the README
// says and that ours behaves as documented.
func TestDeliberateDifferences(t *testing.T) {
	if target, _ := os.Readlink(oursBin + "/ipvsadm"); target == reference {
		t.Skip("self-check mode: the reference stands on both sides")
	}
	for _, tc := range []struct {
		name, step string
		ref, ours  result
	}{{
		// The original dereferences a NULL pointer on a list of only
		// commas and is killed by SIGSEGV without a word.
		name: "sched-flags-only-commas",
		step: "ipvsadm -A -t 10.0.0.1:80 -b ,",
		ref:  result{Status: 139},
		ours: result{Stderr: "invalid scheduler flag `,'\n", Status: 2},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			for i, want := range []result{tc.ref, tc.ours} {
				ns := vmtest.NewNetNS(t)
				got, err := sides[i].run(ns, t.TempDir(), tc.step)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("%s: %s\ngot  %s\nwant %s", sides[i].name, tc.step, got, want)
				}
			}
		})
	}
}
