package servicetest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/service"
	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// guestPath is the PATH of the helper's processes: systemd's default.
const guestPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// shells run the helper: "sh" executes it as systemd does (its #!/bin/sh
// is busybox in the VM), "dash" runs it under dash.
var shells = []struct{ name, path string }{{"sh", ""}, {"dash", dash}}

// result is what one command printed and how it ended.
type result = vmtest.Result

// svc is one installed ipvsadm.service under test: the unit of a layout,
// the shell that runs its helper, and settings and rules files of its own
// (IPVSADM_CONFIG, IPVSADM_RULES) in a temporary directory.
type svc struct {
	t           *testing.T
	layout      string
	shell       string
	root        string   // the guest directory the unit's paths are under
	wrap        []string // what runs the helper's command line, if anything
	unit        *service.Unit
	Rules       string
	Config      string
	modprobeLog string
	env         []string
}

// forEach runs fn in a subtest for each layout and shell.
func forEach(t *testing.T, fn func(t *testing.T, s *svc)) {
	for _, layout := range layouts {
		forLayout(t, layout, fn)
	}
}

// forLayout runs fn in a subtest for one layout and each shell, one
// after the other. They must not run in parallel even though each has its
// own namespace: the kernel resumes a service dump by position in a table
// shared by all namespaces, so a listing or save taken while another
// namespace adds or deletes services can repeat or miss one (CI saw the
// reference's -Sn do that).
func forLayout(t *testing.T, layout string, fn func(t *testing.T, s *svc)) {
	for _, sh := range shells {
		t.Run(layout+"/"+sh.name, func(t *testing.T) {
			fn(t, newSvc(t, layout, sh.path))
		})
	}
}

// newSvc is the service that make install-service installed for layout
// under destRoot.
func newSvc(t *testing.T, layout, shell string) *svc {
	t.Helper()
	return newSvcAt(t, filepath.Join(destRoot, layout), layout, shell)
}

// newPackagedSvc is the service of make deb's package (Debian layout),
// unpacked under debRoot. Its helper runs /sbin/ipvsadm, which in the VM
// is the reference; so its commands run in a mount namespace of their own
// where the package's ipvsadm is bound over /sbin/ipvsadm, as on a
// machine where the package is installed.
func newPackagedSvc(t *testing.T, shell string) *svc {
	t.Helper()
	s := newSvcAt(t, debRoot, "debian", shell)
	s.wrap = []string{"/bin/busybox", "unshare", "-m", "/bin/sh", "-c",
		`mount --bind "$0" ` + reference + ` && exec "$@"`, filepath.Join(debRoot, reference)}
	return s
}

func newSvcAt(t *testing.T, root, layout, shell string) *svc {
	t.Helper()
	if shell != "" {
		if _, err := os.Stat(shell); err != nil {
			t.Fatalf("%s is not in the VM (dash must be installed on the host): %v", shell, err)
		}
	}
	unit, err := service.ParseUnit(filepath.Join(root, unitPath))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &svc{t: t, layout: layout, shell: shell, root: root, unit: unit,
		Rules: filepath.Join(dir, "rules"), Config: filepath.Join(dir, "settings"),
		modprobeLog: filepath.Join(dir, "modprobe.log")}
	stub := filepath.Join(dir, "modprobe")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\necho \"$*\" >>"+s.modprobeLog+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The unit's own environment, then the test's files. IPVSADM is not
	// set: the helper runs the ipvsadm that make install configured.
	s.env = append(append([]string{guestPath, "HOME=/root"}, unit.Env...),
		"IPVSADM_RULES="+s.Rules, "IPVSADM_CONFIG="+s.Config, "IPVSADM_MODPROBE="+stub)
	return s
}

// with returns s for the subtest t.
func (s *svc) with(t *testing.T) *svc {
	c := *s
	c.t = t
	return &c
}

// useRules makes p the rules file (IPVSADM_RULES) of s.
func (s *svc) useRules(p string) {
	s.Rules = p
	s.env = slices.Clone(s.env) // not the parent test's
	for i, e := range s.env {
		if strings.HasPrefix(e, "IPVSADM_RULES=") {
			s.env[i] = "IPVSADM_RULES=" + p
		}
	}
}

// settings writes the settings file.
func (s *svc) settings(text string) { s.write(s.Config, text, 0o644) }

// rules writes the rules file with the layout's usual mode.
func (s *svc) rules(text string) {
	mode := os.FileMode(0o600)
	if s.layout == "debian" {
		mode = 0o644
	}
	s.write(s.Rules, text, mode)
}

func (s *svc) write(p, text string, mode os.FileMode) {
	s.t.Helper()
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		s.t.Fatal(err)
	}
}

// command is the command line that runs verb: the unit's ExecStart,
// ExecStop or ExecReload for start, stop and reload, otherwise the helper
// of ExecStart with verb. The helper is where make install-service put it
// under destRoot, or where the package's files are unpacked.
func (s *svc) command(verb string, args ...string) []string {
	s.t.Helper()
	key := map[string]string{"start": "ExecStart", "stop": "ExecStop", "reload": "ExecReload"}[verb]
	start := s.unit.Exec["ExecStart"]
	if len(start) != 1 || len(start[0]) != 2 || start[0][1] != "start" {
		s.t.Fatalf("unexpected ExecStart %q", start)
	}
	argv := []string{start[0][0], verb}
	if key != "" {
		lines := s.unit.Exec[key]
		if len(lines) != 1 {
			s.t.Fatalf("%s: want one command, got %q", key, lines)
		}
		argv = slices.Clone(lines[0])
	}
	argv[0] = filepath.Join(s.root, argv[0])
	argv = append(argv, args...)
	if s.shell != "" {
		argv = append([]string{s.shell}, argv...)
	}
	return append(slices.Clone(s.wrap), argv...)
}

// run runs verb in ns and logs what it printed.
func (s *svc) run(ns *vmtest.NetNS, verb string, args ...string) result {
	s.t.Helper()
	argv := s.command(verb, args...)
	r := run(s.t, ns, s.env, argv...)
	s.t.Logf("%s: exit %d\nstdout:\n%sstderr:\n%s", strings.Join(argv, " "), r.Status, r.Stdout, r.Stderr)
	return r
}

// must runs verb and fails the test unless it succeeds.
func (s *svc) must(ns *vmtest.NetNS, verb string, args ...string) result {
	s.t.Helper()
	r := s.run(ns, verb, args...)
	if r.Status != 0 {
		s.t.Fatalf("%s failed: %+v", verb, r)
	}
	return r
}

// run runs argv in ns with env and returns what it did.
func run(t testing.TB, ns *vmtest.NetNS, env []string, argv ...string) result {
	t.Helper()
	r, err := ns.Exec(2*time.Minute, env, "", argv[0], argv[1:]...)
	if err != nil {
		t.Fatalf("%q: %v", argv, err)
	}
	return r
}

// table is the namespace's table as the reference "ipvsadm -Sn" saves it,
// sorted.
func table(t testing.TB, ns *vmtest.NetNS) []string {
	t.Helper()
	return ruleLines(ns.Sh(t, reference+" -Sn"))
}

// ruleLines are the rules of a rules file, without comments and blank
// lines, sorted: "ipvsadm -S" lists services in the kernel's hash order.
func ruleLines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" && l[0] != '#' {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

// savedRules is testdata/saved.rules.
func savedRules(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "saved.rules"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameTable fails the test when the namespace's table is not want.
func sameTable(t testing.TB, ns *vmtest.NetNS, want []string, what string) {
	t.Helper()
	if got := table(t, ns); !slices.Equal(got, want) {
		t.Errorf("%s: table\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// readFile returns the content of p.
func readFile(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// settingsFor is a settings file that makes start load the rules: the
// Red Hat one with saving on stop as asked and modules unloaded (by the
// stub modprobe), the Debian one with AUTO="true".
func settingsFor(layout string, saveOnStop bool) string {
	if layout == "debian" {
		return "AUTO=\"true\"\nDAEMON=\"none\"\n"
	}
	save := "no"
	if saveOnStop {
		save = "yes"
	}
	return "IPVS_MODULES_UNLOAD=\"yes\"\nIPVS_SAVE_ON_STOP=\"" + save + "\"\nIPVS_SAVE_ON_RESTART=\"no\"\nIPVS_STATUS_NUMERIC=\"yes\"\n"
}
