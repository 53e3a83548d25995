package packagetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// rpmConfig are the Red Hat layout's settings and rules files, which the
// RPM marks %config(noreplace) with mode 0600.
var rpmConfig = []string{"/etc/sysconfig/ipvsadm", "/etc/sysconfig/ipvsadm-config"}

// TestRPMMetadata checks the RPM's name, version, Provides and Conflicts,
// that its files are what make install LAYOUT=redhat lays out (and the
// copyright file), the config flags and modes, and that no scriptlet
// restarts the service.
func TestRPMMetadata(t *testing.T) {
	rpmPath := pkg(t, "rpm", "")
	query := func(args ...string) string {
		return run(t, nil, "rpm", append([]string{"-qp"}, append(args, rpmPath)...)...)
	}
	if got, want := query("--qf", "%{NAME} %{VERSION} %{RELEASE}"), "ipvsadm-go "+compatVersion(t)+"+go"+ownVersion(t)+" 1"; got != want {
		t.Errorf("name, version, release: %q, want %q", got, want)
	}
	if provides := strings.Split(query("--provides"), "\n"); !slices.Contains(provides, "ipvsadm = "+compatVersion(t)) {
		t.Errorf("Provides %q: want ipvsadm = %s", provides, compatVersion(t))
	}
	if got := strings.TrimSpace(query("--conflicts")); got != "ipvsadm" {
		t.Errorf("Conflicts %q, want ipvsadm", got)
	}
	flags := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(query("--qf", "[%{FILEMODES:perms} %{FILEFLAGS:fflags} %{FILENAMES}\n]")), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 {
			f = []string{f[0], "", f[1]}
		}
		flags[f[2]] = f[0] + " " + f[1]
	}
	for _, p := range rpmConfig {
		if got := flags[p]; got != "-rw------- cn" {
			t.Errorf("%s: %q, want mode -rw------- and flags cn (%%config(noreplace))", p, got)
		}
	}
	if scripts := query("--scripts"); regexp.MustCompile(`restart|start ipvsadm`).MatchString(scripts) {
		t.Errorf("a scriptlet starts or restarts the service:\n%s", scripts)
	}

	tree := t.TempDir()
	cmd := exec.Command("sh", "-c", `rpm2cpio "$1" | cpio -idm --quiet`, "sh", rpmPath)
	cmd.Dir = tree
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rpm2cpio | cpio: %v\n%s", err, out)
	}
	files := readTree(t, tree)
	for rel := range files {
		if strings.HasPrefix(rel, "usr/lib/.build-id/") {
			delete(files, rel)
		}
	}
	installed := makeInstall(t, "PREFIX=/usr", "LAYOUT=redhat", "SYSTEMD_UNIT_DIR=/usr/lib/systemd/system")
	compareTrees(t, files, installed, "usr/sbin/ipvsadm", "usr/share/doc/ipvsadm-go/copyright")
}

// TestRPMLint runs rpmlint with the package's settings
// (rpm/rpmlint.toml, whose filters say why): no errors.
func TestRPMLint(t *testing.T) {
	rpmlint := tool(t, "rpmlint", "rpmlint")
	rpmPath := pkg(t, "rpm", "")
	out, err := exec.Command(rpmlint, "-c", filepath.Join(distDir, "rpm", "rpmlint.toml"), rpmPath).CombinedOutput()
	t.Logf("rpmlint -c rpmlint.toml %s: %v\n%s", filepath.Base(rpmPath), err, out)
	if err != nil || !regexp.MustCompile(`\b0 errors\b`).Match(out) {
		t.Errorf("rpmlint reports errors: %v", err)
	}
}

// TestRPMInstallUpgrade installs the RPM into a scratch root with rpm
// --root (without scriptlets: they would run chrooted into a root with no
// shell), edits both %config(noreplace) files, upgrades to a higher
// version and checks that the edits stay and no .rpmnew is made.
func TestRPMInstallUpgrade(t *testing.T) {
	needRoot(t, "rpm --root")
	tool(t, "rpm", "rpm")
	root := t.TempDir()
	rpm := func(args ...string) string {
		return run(t, nil, "rpm", append([]string{"--root", root, "--dbpath", "/var/lib/rpm"}, args...)...)
	}
	rpm("--initdb")
	rpm("--install", "--nodeps", "--noscripts", pkg(t, "rpm", ""))
	next := ownVersion(t) + ".1"
	if got, want := rpm("-q", "--qf", "%{VERSION}", "ipvsadm-go"), compatVersion(t)+"+go"+ownVersion(t); got != want {
		t.Fatalf("installed version %q, want %q", got, want)
	}
	for _, p := range append(rpmConfig, "/usr/sbin/ipvsadm", "/usr/lib/systemd/system/ipvsadm.service") {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
	edits := map[string]string{
		"/etc/sysconfig/ipvsadm":        "-A -t 10.0.0.1:80 -s rr\n",
		"/etc/sysconfig/ipvsadm-config": "IPVS_SAVE_ON_STOP=\"yes\"\n",
	}
	for p, text := range edits {
		if err := os.WriteFile(filepath.Join(root, p), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rpm("--upgrade", "--nodeps", "--noscripts", pkg(t, "rpm", next))
	if got, want := rpm("-q", "--qf", "%{VERSION}", "ipvsadm-go"), compatVersion(t)+"+go"+next; got != want {
		t.Fatalf("upgraded version %q, want %q", got, want)
	}
	for p, text := range edits {
		if got := readFile(t, filepath.Join(root, p)); got != text {
			t.Errorf("the upgrade replaced the edited %s:\n%s", p, got)
		}
		if _, err := os.Stat(filepath.Join(root, p+".rpmnew")); err == nil {
			t.Errorf("the upgrade made %s.rpmnew", p)
		}
	}
}
