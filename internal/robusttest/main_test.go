// Package robusttest checks, in the VM against the real kernel, that our
// ipvsadm never loses a rule: random rule sets survive a restore, a save and
// a restore of the save byte for byte and as the reference ipvsadm sees
// them (roundtrip_test.go); a 100,000-line file restores completely
// (large_test.go); concurrent restores all land, and listings taken while
// another process changes the table never crash or print a torn line
// (concurrent_test.go); a listing whose dump the kernel marks interrupted
// is read again (retry_test.go).
package robusttest

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// Where things are inside the VM.
const (
	oursDir     = vmtest.OursDir // our binary and its two links
	ours        = oursDir + "/ipvsadm"
	oursRestore = oursDir + "/ipvsadm-restore"
	reference   = "/sbin/ipvsadm" // Debian's ipvsadm 1.31: the judge
)

// TestMain runs the tests in the VM, with a helper VM that runs half of
// TestRoundTrip's batches.
func TestMain(m *testing.M) {
	os.Exit(vmtest.Main(m, vmtest.WithOurs(oursDir), vmtest.WithMemory(2048), vmtest.WithHelperVM(runBatch)))
}

// runBatch is the helper VM's job: the batch of TestRoundTrip that name
// names.
func runBatch(name string) []byte {
	b, err := parseBatch(name)
	if err != nil {
		data, _ := json.Marshal(batchOutput{Err: fmt.Sprintf("job %q: %v", name, err)})
		return data
	}
	return b.run()
}

// env is the environment of every process the tests start.
var env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LC_ALL=C"}

// run runs a bash script in ns with dir as its working directory and fails
// the test if it cannot be run or does not end within timeout.
func run(t *testing.T, ns *vmtest.NetNS, dir string, timeout time.Duration, script string) vmtest.Result {
	t.Helper()
	r, err := ns.Exec(timeout, env, dir, "/bin/bash", "-c", script)
	if err != nil {
		t.Fatalf("%v\nscript:\n%s\n%s", err, script, r)
	}
	return r
}

// mustRun is run for a script that must exit 0 with nothing on stderr.
func mustRun(t *testing.T, ns *vmtest.NetNS, dir string, timeout time.Duration, script string) string {
	t.Helper()
	r := run(t, ns, dir, timeout, script)
	if r.Status != 0 || r.Stderr != "" {
		t.Fatalf("script failed: %s\nscript:\n%s", abbreviate(r.String(), 4000), script)
	}
	return r.Stdout
}

// readFile returns a file written by a script.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeFile writes a file for a script.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sortedLines returns the lines of s, sorted.
func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if s == "" {
		lines = nil
	}
	slices.Sort(lines)
	return lines
}

// lineDiff describes how the multisets of lines want and got differ, at
// most max lines of each side.
func lineDiff(want, got []string, max int) string {
	count := map[string]int{}
	for _, l := range want {
		count[l]++
	}
	for _, l := range got {
		count[l]--
	}
	var missing, extra []string
	for l, n := range count {
		for ; n > 0; n-- {
			missing = append(missing, l)
		}
		for ; n < 0; n++ {
			extra = append(extra, l)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	var b strings.Builder
	fmt.Fprintf(&b, "%d lines missing, %d extra", len(missing), len(extra))
	for i, l := range missing {
		if i == max {
			b.WriteString("\n  ...")
			break
		}
		fmt.Fprintf(&b, "\n  - %s", l)
	}
	for i, l := range extra {
		if i == max {
			b.WriteString("\n  ...")
			break
		}
		fmt.Fprintf(&b, "\n  + %s", l)
	}
	return b.String()
}

// abbreviate cuts s to about n bytes.
func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("... (%d bytes in all)", len(s))
}
