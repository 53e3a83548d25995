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
	const emptyListing = "IP Virtual Server version 1.2.1 (size=4096)\n" +
		"Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
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
	}, {
		// The kernel holds a firewall mark as an unsigned 32-bit number,
		// but the original saves it with "%d": marks of 2^31 and above
		// come out negative, its restore refuses them ("-f" takes
		// 1..4294967295) and stops there, and the service and its
		// servers are lost. Ours saves the mark unsigned and restores it.
		// Listings print the mark signed on both sides.
		name: "save-restore-fwmark-2147483648",
		step: "ipvsadm -A -f 2147483648 -s rr && ipvsadm -a -f 2147483648 -r 10.1.0.1 -g && " +
			"ipvsadm-save -n > saved && cat saved && ipvsadm -C && ipvsadm-restore < saved; echo \"status $?\"; ipvsadm -Ln",
		ref: result{
			Stdout: "-A -f -2147483648 -s rr\n-a -f -2147483648 -r 10.1.0.1:0 -g -w 1\nstatus 2\n" + emptyListing,
			Stderr: "invalid fwmark value `-2147483648' specified\n",
		},
		ours: result{
			Stdout: "-A -f 2147483648 -s rr\n-a -f 2147483648 -r 10.1.0.1:0 -g -w 1\nstatus 0\n" + emptyListing +
				"FWM  -2147483648 rr\n  -> 10.1.0.1:0                   Route   1      0          0         \n",
		},
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
