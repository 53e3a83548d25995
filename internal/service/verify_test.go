package service

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdAnalyzeVerify installs the service of each layout into a
// scratch tree (every path under it, so that the unit's commands exist
// where it says) and runs Debian's systemd-analyze verify on the unit. The
// man pages are not checked (--man=no): there are none yet.
func TestSystemdAnalyzeVerify(t *testing.T) {
	analyze := systemdAnalyze(t)
	for _, layout := range []string{"debian", "redhat"} {
		t.Run(layout, func(t *testing.T) {
			root := t.TempDir()
			if _, err := Make("install-service", "LAYOUT="+layout, "DESTDIR=",
				"PREFIX="+filepath.Join(root, "usr"), "SYSCONFDIR="+filepath.Join(root, "etc"),
				"SYSTEMD_UNIT_DIR="+filepath.Join(root, "units")); err != nil {
				t.Fatal(err)
			}
			unit := filepath.Join(root, "units", "ipvsadm.service")
			out, err := exec.Command(analyze, "verify", "--man=no", unit).CombinedOutput()
			t.Logf("systemd-analyze verify --man=no %s: %v\n%s", unit, err, out)
			if err != nil || len(out) != 0 {
				t.Errorf("systemd-analyze verify: %v\n%s", err, out)
			}

			// The same check must catch a broken unit.
			bad := filepath.Join(root, "bad", "ipvsadm.service")
			text := strings.ReplaceAll(readFile(t, unit), "/ipvsadm-service start", "/missing start")
			if err := os.MkdirAll(filepath.Dir(bad), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(bad, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(analyze, "verify", "--man=no", bad).CombinedOutput(); err == nil {
				t.Errorf("systemd-analyze verify passed a unit whose ExecStart is missing:\n%s", out)
			}
		})
	}
}

// systemdAnalyze finds systemd-analyze, installing Debian's systemd
// package with apt when running as root. Without it the test fails in CI
// (CI=true) and is skipped elsewhere.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("systemd-analyze"); err == nil {
		return p
	}
	var why string
	if os.Geteuid() == 0 {
		install := func() ([]byte, error) {
			cmd := exec.Command("apt-get", "install", "-y", "--no-install-recommends", "systemd")
			cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
			return cmd.CombinedOutput()
		}
		out, err := install()
		if err != nil {
			exec.Command("apt-get", "update").Run()
			out, err = install()
		}
		if p, lerr := exec.LookPath("systemd-analyze"); lerr == nil {
			return p
		}
		why = "apt-get install systemd: " + string(out)
		if err != nil {
			why += err.Error()
		}
	} else {
		why = "not root: install it with: sudo apt-get install -y --no-install-recommends systemd"
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("systemd-analyze not available: %s", why)
	}
	t.Skipf("systemd-analyze not available: %s", why)
	return ""
}
