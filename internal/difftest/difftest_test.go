package difftest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// Where things are inside the VM.
const (
	oursBin   = "/opt/ipvsadm-go/bin"  // our binary and its two links
	refBin    = "/opt/ipvsadm-ref/bin" // empty: the reference is /sbin/ipvsadm
	reference = "/sbin/ipvsadm"
)

// corpusDir is the corpus, relative to this package.
var corpusDir = filepath.Join("..", "..", "testdata", "diff")

func TestMain(m *testing.M) {
	var opts []vmtest.Option
	if !vmtest.InGuest() {
		dir, err := os.MkdirTemp("", "difftest-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		status := func() int {
			defer os.RemoveAll(dir)
			build := buildOurs
			if os.Getenv("IPVSADM_DIFF_SELFCHECK") == "1" {
				build = linkReference
			}
			bin, err := build(dir)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			hosts, err := os.ReadFile(filepath.Join(corpusDir, "hosts"))
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			opts = append(opts,
				vmtest.WithFile(oursBin+"/ipvsadm", bin),
				vmtest.WithFile(oursBin+"/ipvsadm-save", filepath.Join(dir, "ipvsadm-save")),
				vmtest.WithFile(oursBin+"/ipvsadm-restore", filepath.Join(dir, "ipvsadm-restore")),
				vmtest.WithDir(corpusDir),
				vmtest.WithData("/etc/hosts", hosts),
				vmtest.WithMemory(1536))
			return vmtest.Main(m, opts...)
		}()
		os.Exit(status)
	}
	os.Exit(vmtest.Main(m))
}

// buildOurs builds cmd/ipvsadm statically into dir, with the save and
// restore links beside it.
func buildOurs(dir string) (string, error) {
	bin := filepath.Join(dir, "ipvsadm")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/ipvsadm")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building ipvsadm: %v\n%s", err, out)
	}
	for _, l := range []string{"ipvsadm-save", "ipvsadm-restore"} {
		if err := os.Symlink("ipvsadm", filepath.Join(dir, l)); err != nil {
			return "", err
		}
	}
	return bin, nil
}

// linkReference stands the reference in for ours, to check that the
// corpus itself is deterministic (IPVSADM_DIFF_SELFCHECK=1): every case
// must then pass.
func linkReference(dir string) (string, error) {
	for _, l := range []string{"ipvsadm", "ipvsadm-save", "ipvsadm-restore"} {
		if err := os.Symlink("/sbin/"+l, filepath.Join(dir, l)); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, "ipvsadm"), nil
}

// result is what one step printed and how it ended.
type result = vmtest.Result

// side is one of the two implementations.
type side struct {
	name string
	path string
}

var sides = [2]side{{"reference", refBin}, {"ours", oursBin}}

// run runs a bash script in ns as the given side.
func (s side) run(ns *vmtest.NetNS, dir, script string) (result, error) {
	env := []string{"PATH=" + s.path + ":/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"}
	return ns.Exec(2*time.Minute, env, dir, "/bin/bash", "-c", script)
}

// stateScript prints the table, the timeouts and the daemons with the
// reference binary: the judge of what each side left behind.
const stateScript = reference + " -Sn; echo \"status $?\"; " + reference + " -L --timeout; " + reference + " -L --daemon"

// resetScript brings a namespace back to a fresh table.
const resetScript = reference + " -C; " + reference + " --set 900 120 300; " +
	reference + " --stop-daemon master 2>/dev/null; " + reference + " --stop-daemon backup 2>/dev/null; true"

func loadCorpus(t *testing.T) []Case {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.cases"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s: %v", corpusDir, err)
	}
	var all []Case
	names := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases, err := ParseCases(filepath.Base(f), bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			if prev, dup := names[c.Name]; dup {
				t.Fatalf("case %s defined in %s and %s:%d", c.Name, prev, c.File, c.Line)
			}
			names[c.Name] = fmt.Sprintf("%s:%d", c.File, c.Line)
		}
		all = append(all, cases...)
	}
	return all
}

func TestCorpus(t *testing.T) {
	cases := loadCorpus(t)
	var (
		mu                      sync.Mutex
		passed, failed, skipped int
	)
	t.Run("case", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.Name, func(t *testing.T) {
				if missing := missingModules(c.Needs); len(missing) > 0 {
					mu.Lock()
					skipped++
					mu.Unlock()
					t.Skipf("this kernel has no %s", strings.Join(missing, ", "))
				}
				// No t.Parallel: the kernel's service dump walks one table
				// shared by all namespaces and resumes by position, so a
				// listing in one namespace can repeat or miss a service
				// while another namespace adds or deletes services.
				t.Cleanup(func() {
					mu.Lock()
					defer mu.Unlock()
					if t.Failed() {
						failed++
					} else {
						passed++
					}
				})
				runCase(t, c)
			})
		}
	})
	var uts unix.Utsname
	unix.Uname(&uts)
	why := ""
	if skipped > 0 {
		why = " (the kernel lacks what they need)"
	}
	fmt.Printf("differential corpus (reference ipvsadm vs ours, real kernel %s): %d cases passed, %d failed, %d skipped%s\n",
		unix.ByteSliceToString(uts.Release[:]), passed, failed, skipped, why)
}

// missingModules returns the kernel modules of mods that the running
// kernel has not loaded (the VM loads every module its kernel ships).
func missingModules(mods []string) []string {
	var missing []string
	for _, m := range mods {
		if _, err := os.Stat("/sys/module/" + m); err != nil {
			missing = append(missing, m)
		}
	}
	return missing
}

// runCase runs c on both sides and compares them.
func runCase(t *testing.T, c Case) {
	t.Logf("%s:%d", c.File, c.Line)
	var (
		steps [2][]result
		state [2]result
	)
	var shared *vmtest.NetNS
	if c.SameNamespace {
		shared = vmtest.NewNetNS(t)
	}
	for i, s := range sides {
		ns := shared
		if ns == nil || i == 0 {
			if ns == nil {
				ns = vmtest.NewNetNS(t)
			}
			for _, setup := range c.Setup {
				if r, err := s.run(ns, t.TempDir(), setup); err != nil || r.Status != 0 {
					t.Fatalf("setup %q: %v %v", setup, err, r)
				}
			}
		}
		dir := t.TempDir()
		for _, step := range c.Steps {
			r, err := s.run(ns, dir, step)
			if err != nil {
				t.Fatalf("%s: step %q: %v", s.name, step, err)
			}
			steps[i] = append(steps[i], r)
		}
		var err error
		if state[i], err = s.run(ns, dir, stateScript); err != nil {
			t.Fatalf("%s: reading the final state: %v", s.name, err)
		}
		if shared != nil {
			if _, err := s.run(ns, dir, resetScript); err != nil {
				t.Fatalf("reset: %v", err)
			}
		}
	}
	for j, step := range c.Steps {
		if ref, ours := steps[0][j], steps[1][j]; ref != ours {
			t.Errorf("step %d differs: %s\n--- reference:\n%s\n--- ours:\n%s\n%s", j+1, step, ref, ours, lineDiff(ref, ours))
		}
	}
	if state[0] != state[1] {
		t.Errorf("final state differs:\n--- reference:\n%s\n--- ours:\n%s", state[0].Stdout, state[1].Stdout)
	}
}

// lineDiff names the first differing line of stdout and of stderr.
func lineDiff(a, b result) string {
	var sb strings.Builder
	for _, p := range [][3]string{{"stdout", a.Stdout, b.Stdout}, {"stderr", a.Stderr, b.Stderr}} {
		al, bl := strings.SplitAfter(p[1], "\n"), strings.SplitAfter(p[2], "\n")
		for i := 0; i < len(al) || i < len(bl); i++ {
			var x, y string
			if i < len(al) {
				x = al[i]
			}
			if i < len(bl) {
				y = bl[i]
			}
			if x != y {
				fmt.Fprintf(&sb, "first %s difference, line %d:\n  reference %q\n  ours      %q\n", p[0], i+1, x, y)
				break
			}
		}
	}
	return sb.String()
}
