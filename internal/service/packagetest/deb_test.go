package packagetest

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/service"
)

// debFiles are the files the .deb adds to what make install lays out.
var debFiles = []string{
	"usr/share/doc/ipvsadm-go/copyright",
	"usr/share/doc/ipvsadm-go/changelog.gz",
	"usr/share/lintian/overrides/ipvsadm-go",
}

// TestDebMetadata checks the control fields that make the package stand in
// for Debian's ipvsadm, the version, the conffiles, and that the package
// holds what make install LAYOUT=debian puts at Debian's ipvsadm paths
// (/sbin) and the documentation, nothing else.
func TestDebMetadata(t *testing.T) {
	deb := pkg(t, "deb", "")
	version := compatVersion(t) + "+go" + ownVersion(t)
	if want := "ipvsadm-go_" + version + "_amd64.deb"; runtime.GOARCH == "amd64" && filepath.Base(deb) != want {
		t.Errorf("package file %s, want %s", filepath.Base(deb), want)
	}
	want := map[string]string{
		"Package":   "ipvsadm-go",
		"Version":   version,
		"Provides":  "ipvsadm (= 1:" + compatVersion(t) + ")",
		"Conflicts": "ipvsadm",
		"Replaces":  "ipvsadm",
		"Section":   "net",
		"Depends":   "",
	}
	for field, w := range want {
		if got := strings.TrimSpace(run(t, nil, "dpkg-deb", "-f", deb, field)); got != w {
			t.Errorf("%s: %q, want %q", field, got, w)
		}
	}

	ctrl := t.TempDir()
	run(t, nil, "dpkg-deb", "-e", deb, ctrl)
	conffiles := strings.Fields(readFile(t, filepath.Join(ctrl, "conffiles")))
	if want := []string{"/etc/default/ipvsadm", "/etc/ipvsadm.rules"}; !reflect.DeepEqual(conffiles, want) {
		t.Errorf("conffiles %q, want %q", conffiles, want)
	}

	tree := t.TempDir()
	run(t, nil, "dpkg-deb", "-x", deb, tree)
	files := readTree(t, tree)
	installed := makeInstall(t, "PREFIX=/usr", "SBINDIR=/sbin", "LAYOUT=debian")
	compareTrees(t, files, installed, "sbin/ipvsadm", debFiles...)

	zr, err := os.Open(filepath.Join(tree, "usr/share/doc/ipvsadm-go/changelog.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	gz, err := gzip.NewReader(zr)
	if err != nil {
		t.Fatal(err)
	}
	changelog, _ := io.ReadAll(gz)
	if !bytes.HasPrefix(changelog, []byte("ipvsadm-go ("+version+") ")) {
		t.Errorf("changelog does not start with this version:\n%s", changelog)
	}
	unit, err := service.ParseUnit(filepath.Join(tree, "lib/systemd/system/ipvsadm.service"))
	if err != nil {
		t.Fatal(err)
	}
	if got := unit.Exec["ExecStart"]; !reflect.DeepEqual(got, [][]string{{"/usr/lib/ipvsadm/ipvsadm-service", "start"}}) {
		t.Errorf("ExecStart %q", got)
	}
	if helper := readFile(t, filepath.Join(tree, "usr/lib/ipvsadm/ipvsadm-service")); !strings.Contains(helper, "\nsbindir='/sbin'\n") {
		t.Errorf("the helper does not run /sbin/ipvsadm")
	}
}

// TestLintian runs lintian on the .deb: no error and no warning (the
// package's overrides, deb/lintian-overrides, say why they are there).
func TestLintian(t *testing.T) {
	lintian := tool(t, "lintian", "lintian")
	deb := pkg(t, "deb", "")
	out, err := exec.Command(lintian, "--pedantic", "--display-level", ">=info", "--fail-on", "error,warning", deb).CombinedOutput()
	t.Logf("lintian --pedantic --display-level '>=info' --fail-on error,warning %s: %v\n%s", filepath.Base(deb), err, out)
	if err != nil {
		t.Errorf("lintian failed: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "E: ") || strings.HasPrefix(line, "W: ") {
			t.Errorf("lintian: %s", line)
		}
	}
}

// scratchRoot is an empty dpkg database in a temporary directory, and the
// dpkg that installs into it. Maintainer scripts run outside the root
// (--force-script-chrootless) with DPKG_ROOT set, as deb-systemd-helper
// understands; they start nothing there: no systemd runs in the root.
type scratchRoot struct {
	t    *testing.T
	dir  string
	dpkg string
}

func newScratchRoot(t *testing.T) *scratchRoot {
	t.Helper()
	needRoot(t, "dpkg --root")
	r := &scratchRoot{t: t, dir: t.TempDir(), dpkg: tool(t, "dpkg", "dpkg")}
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log"} {
		if err := os.MkdirAll(filepath.Join(r.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"var/lib/dpkg/status", "var/lib/dpkg/available"} {
		if err := os.WriteFile(filepath.Join(r.dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// run runs dpkg on the root with args; stdin is empty, so that a conffile
// question would fail the run instead of waiting.
func (r *scratchRoot) run(args ...string) string {
	r.t.Helper()
	args = append([]string{"--root=" + r.dir, "--force-script-chrootless", "--log=" + filepath.Join(r.dir, "var/log/dpkg.log")}, args...)
	return run(r.t, []string{"DEBIAN_FRONTEND=noninteractive"}, r.dpkg, args...)
}

// path is p inside the root.
func (r *scratchRoot) path(p string) string { return filepath.Join(r.dir, p) }

// status is the package's "${Status} ${Version}" in the root's database.
func (r *scratchRoot) status() string {
	r.t.Helper()
	cmd := exec.Command("dpkg-query", "--admindir="+r.path("var/lib/dpkg"), "-W", "-f", "${Status} ${Version}", "ipvsadm-go")
	out, _ := cmd.Output()
	return string(out)
}

// TestDebInstallUpgrade installs the .deb into a scratch root, enables the
// unit there, edits both conffiles, upgrades to a package with a higher
// version and checks that the edits stay (without a question: stdin is
// empty), then removes (conffiles stay) and purges (they go, with the
// enablement).
func TestDebInstallUpgrade(t *testing.T) {
	r := newScratchRoot(t)
	v1 := pkg(t, "deb", "")
	next := ownVersion(t) + ".1"
	v2 := pkg(t, "deb", next)

	r.run("--install", v1)
	if got, want := r.status(), "install ok installed "+compatVersion(t)+"+go"+ownVersion(t); got != want {
		t.Fatalf("after installing: %q, want %q", got, want)
	}
	for _, p := range []string{"sbin/ipvsadm", "usr/lib/ipvsadm/ipvsadm-service", "lib/systemd/system/ipvsadm.service"} {
		if _, err := os.Stat(r.path(p)); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
	wants := r.path("etc/systemd/system/multi-user.target.wants/ipvsadm.service")
	if target, err := os.Readlink(wants); err != nil || target != "/lib/systemd/system/ipvsadm.service" {
		t.Errorf("ipvsadm.service not enabled on installation: %s -> %q (%v)", wants, target, err)
	}

	edits := map[string]string{
		"etc/ipvsadm.rules":   "# ipvsadm.rules\n-A -t 10.0.0.1:80 -s rr\n",
		"etc/default/ipvsadm": readFile(t, r.path("etc/default/ipvsadm")) + "AUTO=\"true\"\n",
	}
	for p, text := range edits {
		if err := os.WriteFile(r.path(p), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	out := r.run("--install", v2)
	t.Logf("dpkg --install %s:\n%s", filepath.Base(v2), out)
	if got, want := r.status(), "install ok installed "+compatVersion(t)+"+go"+next; got != want {
		t.Fatalf("after upgrading: %q, want %q", got, want)
	}
	for p, text := range edits {
		if got := readFile(t, r.path(p)); got != text {
			t.Errorf("the upgrade replaced the edited %s:\n%s", p, got)
		}
	}
	strays, _ := filepath.Glob(r.path("etc/*.dpkg-*"))
	more, _ := filepath.Glob(r.path("etc/default/*.dpkg-*"))
	if strays = append(strays, more...); len(strays) > 0 {
		t.Errorf("the upgrade left %q", strays)
	}
	if _, err := os.Lstat(wants); err != nil {
		t.Errorf("the upgrade lost the enablement: %v", err)
	}

	r.run("--remove", "ipvsadm-go")
	if _, err := os.Stat(r.path("sbin/ipvsadm")); err == nil {
		t.Errorf("remove left sbin/ipvsadm")
	}
	for p, text := range edits {
		if got := readFile(t, r.path(p)); got != text {
			t.Errorf("remove changed the conffile %s", p)
		}
	}
	r.run("--purge", "ipvsadm-go")
	for _, p := range []string{"etc/ipvsadm.rules", "etc/default/ipvsadm", "etc/systemd/system/multi-user.target.wants/ipvsadm.service"} {
		if _, err := os.Lstat(r.path(p)); err == nil {
			t.Errorf("purge left %s", p)
		}
	}
}

// TestDebSatisfiesLdirectord: with the package installed, apt's
// dependency check for ldirectord (which depends on ipvsadm) does not
// want Debian's ipvsadm; without it, it does. apt reads the scratch root's
// dpkg status and this host's package lists.
func TestDebSatisfiesLdirectord(t *testing.T) {
	aptGet := tool(t, "apt-get", "apt")
	if out, err := exec.Command("apt-cache", "show", "ldirectord").CombinedOutput(); err != nil {
		if os.Geteuid() != 0 {
			t.Skipf("apt knows no ldirectord and not root to run apt-get update: %s", out)
		}
		run(t, nil, aptGet, "update")
	}
	r := newScratchRoot(t)
	simulate := func() string {
		return run(t, nil, aptGet, "--simulate", "--no-install-recommends",
			"-o", "Dir::State::status="+r.path("var/lib/dpkg/status"), "-o", "Debug::NoLocking=1",
			"install", "ldirectord")
	}
	inst := regexp.MustCompile(`(?m)^Inst (\S+)`)
	planned := func(out string) []string {
		var names []string
		for _, m := range inst.FindAllStringSubmatch(out, -1) {
			names = append(names, m[1])
		}
		return names
	}

	without := planned(simulate())
	if !slices.Contains(without, "ldirectord") || !slices.Contains(without, "ipvsadm") {
		t.Fatalf("without the package apt plans %q: want ldirectord and ipvsadm", without)
	}
	r.run("--install", pkg(t, "deb", ""))
	out := simulate()
	with := planned(out)
	t.Logf("apt-get --simulate install ldirectord with ipvsadm-go installed:\n%s", out)
	if !slices.Contains(with, "ldirectord") || slices.Contains(with, "ipvsadm") {
		t.Errorf("with the package apt plans %q: want ldirectord without ipvsadm", with)
	}
}

// TestDebMaintainerScripts runs the maintainer scripts as dpkg does on a
// machine booted with systemd (a private /run with /run/systemd/system, in
// a mount namespace of their own) with deb-systemd-helper,
// deb-systemd-invoke and systemctl replaced by stubs that log their
// arguments. Installation enables the unit and starts nothing; an upgrade
// starts, stops and restarts nothing; removal stops the unit; purge
// forgets its enablement.
func TestDebMaintainerScripts(t *testing.T) {
	needRoot(t, "a mount namespace with its own /run")
	unshare := tool(t, "unshare", "util-linux")
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	stubs := filepath.Join(dir, "bin")
	if err := os.Mkdir(stubs, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"deb-systemd-helper", "deb-systemd-invoke", "systemctl"} {
		stub := "#!/bin/sh\necho \"" + name + " $*\" >>" + log + "\n"
		if err := os.WriteFile(filepath.Join(stubs, name), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		script string
		args   []string
		want   string
	}{
		{"postinst", []string{"configure", ""},
			"deb-systemd-helper --quiet was-enabled ipvsadm.service\ndeb-systemd-helper enable ipvsadm.service\nsystemctl --system daemon-reload\n"},
		{"prerm", []string{"upgrade", "1.31+go99"}, ""},
		{"postrm", []string{"upgrade", "1.31+go99"}, ""},
		{"postinst", []string{"configure", "1.31+go0"},
			"deb-systemd-helper --quiet was-enabled ipvsadm.service\ndeb-systemd-helper enable ipvsadm.service\nsystemctl --system daemon-reload\n"},
		{"prerm", []string{"remove"}, "deb-systemd-invoke stop ipvsadm.service\n"},
		{"postrm", []string{"remove"}, "systemctl --system daemon-reload\n"},
		{"postrm", []string{"purge"}, "deb-systemd-helper purge ipvsadm.service\n"},
	}
	for _, s := range steps {
		os.Remove(log)
		script, _ := filepath.Abs(filepath.Join(distDir, "deb", s.script))
		args := append([]string{"--mount", "sh", "-c",
			`mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system && exec "$@"`, "sh", "/bin/sh", "-e", script}, s.args...)
		run(t, []string{"PATH=" + stubs + ":/usr/sbin:/usr/bin:/sbin:/bin", "DPKG_ROOT="}, unshare, args...)
		got, _ := os.ReadFile(log)
		if string(got) != s.want {
			t.Errorf("%s %q ran:\n%s\nwant:\n%s", s.script, s.args, got, s.want)
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
