package difftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
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
	oursBin   = vmtest.OursDir         // our binary and its two links
	refBin    = "/opt/ipvsadm-ref/bin" // empty: the reference is /sbin/ipvsadm
	reference = "/sbin/ipvsadm"
)

// corpusDir is the corpus, relative to this package.
var corpusDir = filepath.Join("..", "..", "testdata", "diff")

// TestMain runs the tests in the VM, with a helper VM that runs half of
// the corpus (see TestCorpus).
func TestMain(m *testing.M) {
	opts := []vmtest.Option{vmtest.WithHelperVM(caseRunner())}
	if !vmtest.InGuest() {
		hosts, err := os.ReadFile(filepath.Join(corpusDir, "hosts"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		opts = append(opts, vmtest.WithDir(corpusDir), vmtest.WithData("/etc/hosts", hosts), vmtest.WithMemory(1536))
		if os.Getenv("IPVSADM_DIFF_SELFCHECK") == "1" {
			// The reference stands in for ours, to check that the corpus
			// itself is deterministic: every case must then pass.
			for _, name := range vmtest.Personalities {
				opts = append(opts, vmtest.WithLink(oursBin+"/"+name, "/sbin/"+name))
			}
		} else {
			opts = append(opts, vmtest.WithOurs(oursBin))
		}
	}
	os.Exit(vmtest.Main(m, opts...))
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
	return s.runWith("/bin/bash", ns, dir, script)
}

// judge runs a script of the harness's own (resetScript), which calls only
// the reference, with busybox sh.
func (s side) judge(ns *vmtest.NetNS, dir, script string) (result, error) {
	return s.runWith("/bin/sh", ns, dir, script)
}

func (s side) runWith(shell string, ns *vmtest.NetNS, dir, script string) (result, error) {
	return ns.Exec(2*time.Minute, s.env(), dir, shell, "-c", script)
}

// env is the environment of the side's shells: PATH selects the side.
func (s side) env() []string {
	return []string{"PATH=" + s.path + ":/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"}
}

// stateScript prints the table with the reference binary: the judge of
// what each side left behind, with the timeouts and sync daemons the
// harness reads itself (kernelState).
const stateScript = reference + " -Sn; echo \"status $?\""

// resetScript brings a namespace back to a fresh table.
const resetScript = reference + " -C; " + reference + " --set 900 120 300; " +
	reference + " --stop-daemon master 2>/dev/null; " + reference + " --stop-daemon backup 2>/dev/null; true"

// readCorpus reads every case of the corpus.
func readCorpus() ([]Case, error) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.cases"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no corpus in %s: %v", corpusDir, err)
	}
	var all []Case
	names := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		cases, err := ParseCases(filepath.Base(f), bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		for _, c := range cases {
			if prev, dup := names[c.Name]; dup {
				return nil, fmt.Errorf("case %s defined in %s and %s:%d", c.Name, prev, c.File, c.Line)
			}
			names[c.Name] = fmt.Sprintf("%s:%d", c.File, c.Line)
		}
		all = append(all, cases...)
	}
	return all, nil
}

// caseRunner returns the helper VM's job: run the named case (execCase)
// and return its outcome in JSON.
func caseRunner() func(name string) []byte {
	corpus := sync.OnceValues(func() (map[string]Case, error) {
		cases, err := readCorpus()
		byName := map[string]Case{}
		for _, c := range cases {
			byName[c.Name] = c
		}
		return byName, err
	})
	return func(name string) []byte {
		cases, err := corpus()
		c, ok := cases[name]
		var o outcome
		switch {
		case err != nil:
			o.Err = err.Error()
		case !ok:
			o.Err = "no case " + name
		default:
			o = execCase(c)
		}
		data, _ := json.Marshal(o)
		return data
	}
}

// TestCorpus runs every case of the corpus on both sides and compares
// them. The cases run one after another: the kernel's service dump walks
// one table shared by all namespaces and resumes by position, so a
// listing in one namespace can repeat or miss a service while another
// namespace adds or deletes services. A helper VM, with a kernel of its
// own, takes cases from the end of the list meanwhile (vmtest.ShareJobs);
// this test compares the outcomes of all cases, wherever they ran.
func TestCorpus(t *testing.T) {
	cases, err := readCorpus()
	if err != nil {
		t.Fatal(err)
	}
	var runnable []string
	for _, c := range cases {
		if len(missingModules(c.Needs)) == 0 {
			runnable = append(runnable, c.Name)
		}
	}
	jobs, err := vmtest.ShareJobs(runnable)
	if err != nil {
		t.Fatal(err)
	}
	defer jobs.Close()
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
				t.Cleanup(func() {
					mu.Lock()
					defer mu.Unlock()
					if t.Failed() {
						failed++
					} else {
						passed++
					}
				})
				t.Logf("%s:%d", c.File, c.Line)
				data, err := jobs.Do(c.Name, func() []byte {
					data, _ := json.Marshal(execCase(c))
					return data
				})
				if err != nil {
					t.Fatal(err)
				}
				var o outcome
				if err := json.Unmarshal(data, &o); err != nil {
					t.Fatalf("the outcome of the case: %v", err)
				}
				compare(t, c, o)
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

// outcome is what a case did on both sides.
type outcome struct {
	Steps [2][]result // each step's result, reference first
	State [2]result   // the final state each side left behind
	// Err says why the case could not be run to its end.
	Err string
}

// execCase runs c on both sides, each in a fresh namespace (or both in
// one, with the table reset in between, for a same-ns case).
func execCase(c Case) (o outcome) {
	tmp, err := os.MkdirTemp("", "case-")
	if err != nil {
		return outcome{Err: err.Error()}
	}
	defer os.RemoveAll(tmp)
	var made []*vmtest.NetNS
	defer func() {
		for _, ns := range made {
			ns.FlushIPVS() // see vmtest.NewNetNS
			ns.Close()
		}
	}()
	fresh := func() (*vmtest.NetNS, error) {
		ns, err := vmtest.CreateNetNS()
		if err == nil {
			made = append(made, ns)
		}
		return ns, err
	}
	var shared *vmtest.NetNS
	if c.SameNamespace {
		if shared, err = fresh(); err != nil {
			return outcome{Err: err.Error()}
		}
	}
	for i, s := range sides {
		ns := shared
		var scripts []script
		if ns == nil || i == 0 {
			if ns == nil {
				if ns, err = fresh(); err != nil {
					return outcome{Err: err.Error()}
				}
			}
			for _, setup := range c.Setup {
				dir, err := os.MkdirTemp(tmp, "")
				if err != nil {
					return outcome{Err: err.Error()}
				}
				scripts = append(scripts, script{dir, setup})
			}
		}
		dir, err := os.MkdirTemp(tmp, "")
		if err != nil {
			return outcome{Err: err.Error()}
		}
		for _, step := range c.Steps {
			scripts = append(scripts, script{dir, step})
		}
		scripts = append(scripts, script{dir, stateScript})
		results, err := s.runScripts(ns, scripts)
		if err != nil {
			return outcome{Err: fmt.Sprintf("%s: %v", s.name, err)}
		}
		setups := len(scripts) - len(c.Steps) - 1
		for k, r := range results[:setups] {
			if r.Status != 0 {
				return outcome{Err: fmt.Sprintf("setup %q: %v", scripts[k].text, r)}
			}
		}
		o.Steps[i] = results[setups : len(results)-1]
		o.State[i] = results[len(results)-1]
		state, err := kernelState(ns)
		if err != nil {
			return outcome{Err: fmt.Sprintf("%s: %v", s.name, err)}
		}
		o.State[i].Stdout += state
		if shared != nil {
			if _, err := s.judge(ns, dir, resetScript); err != nil {
				return outcome{Err: fmt.Sprintf("reset: %v", err)}
			}
		}
	}
	return o
}

// compare fails the test where the two sides of o differ.
func compare(t *testing.T, c Case, o outcome) {
	t.Helper()
	if o.Err != "" {
		t.Fatal(o.Err)
	}
	for j, step := range c.Steps {
		if ref, ours := o.Steps[0][j], o.Steps[1][j]; ref != ours {
			t.Errorf("step %d differs: %s\n--- reference:\n%s\n--- ours:\n%s\n%s", j+1, step, ref, ours, lineDiff(ref, ours))
		}
	}
	if o.State[0] != o.State[1] {
		t.Errorf("final state differs:\n--- reference:\n%s\n--- ours:\n%s", o.State[0].Stdout, o.State[1].Stdout)
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
