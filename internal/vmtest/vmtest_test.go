package vmtest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

func TestMain(m *testing.M) { os.Exit(vmtest.Main(m)) }

// ipvsadm runs the reference ipvsadm inside ns.
func ipvsadm(t *testing.T, ns *vmtest.NetNS, args ...string) string {
	t.Helper()
	cmd := exec.Command("/sbin/ipvsadm", args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := ns.Run(cmd); err != nil {
		t.Fatalf("ipvsadm %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func TestNamespacesAreIsolated(t *testing.T) {
	a, b := vmtest.NewNetNS(t), vmtest.NewNetNS(t)
	ipvsadm(t, a, "-A", "-t", "10.0.0.1:80", "-s", "rr")
	if got, want := ipvsadm(t, a, "-Sn"), "-A -t 10.0.0.1:80 -s rr\n"; got != want {
		t.Errorf("namespace a: -Sn = %q, want %q", got, want)
	}
	if got := ipvsadm(t, b, "-Sn"); got != "" {
		t.Errorf("namespace b sees a's rules: %q", got)
	}
	// The test process itself stays in the VM's initial namespace.
	root, err := os.ReadFile("/proc/net/ip_vs")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(root), "0A000001:0050") {
		t.Errorf("initial namespace sees a's rules:\n%s", root)
	}
}

func TestLoopbackIsUp(t *testing.T) {
	ns := vmtest.NewNetNS(t)
	var out strings.Builder
	cmd := exec.Command("ip", "link", "show", "lo")
	cmd.Stdout = &out
	if err := ns.Run(cmd); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "UP") {
		t.Errorf("lo is not up in a new namespace: %s", out.String())
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"-test.v=true": "-test.v=true",
		"":             "''",
		"a b":          "'a b'",
		"it's":         `'it'\''s'`,
		"^Test(A|B)$":  `'^Test(A|B)$'`,
	} {
		if got := vmtest.ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAddressesAreFixed: test VMs boot without address-space
// randomisation (VM.FixedAddresses), which makes programs start several
// times faster under emulation.
func TestAddressesAreFixed(t *testing.T) {
	got, err := os.ReadFile("/proc/sys/kernel/randomize_va_space")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(got)) != "0" {
		t.Errorf("randomize_va_space = %q, want 0", got)
	}
}
