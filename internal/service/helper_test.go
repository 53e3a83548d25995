package service

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeIpvsadm logs each command line to $FAKE_LOG and the input of -R to
// $FAKE_LOG.in, prints $FAKE_SAVE for -S, $FAKE_ERR on stderr, and exits
// with $FAKE_STATUS.
const fakeIpvsadm = `#!/bin/sh
echo "$*" >>"$FAKE_LOG"
case $1 in
-R) cat >>"$FAKE_LOG.in" ;;
-S) printf '%s' "$FAKE_SAVE" ;;
esac
[ -n "$FAKE_ERR" ] && echo "$FAKE_ERR" >&2
exit "${FAKE_STATUS:-0}"
`

// helperRun is what one run of the helper did.
type helperRun struct {
	status         int
	stdout, stderr string
	calls, input   string // the fake ipvsadm's command lines and -R input
}

// helperShells are the shells the helper must run under on the host.
func helperShells(t *testing.T) [][]string {
	t.Helper()
	var out [][]string
	for _, sh := range [][]string{{"dash"}, {"busybox", "sh"}} {
		if _, err := exec.LookPath(sh[0]); err != nil {
			if sh[0] == "dash" || os.Getenv("CI") == "true" {
				t.Errorf("%s not found: %v", sh[0], err)
			}
			continue
		}
		out = append(out, sh)
	}
	return out
}

// runHelper runs the helper's verb under sh with the fake ipvsadm, the
// rules file rules, no settings file, no check, and env added.
func runHelper(t *testing.T, sh []string, layout, rules, verb string, env ...string) helperRun {
	t.Helper()
	dir := t.TempDir()
	fake := filepath.Join(dir, "ipvsadm")
	if err := os.WriteFile(fake, []byte(fakeIpvsadm), 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "log")
	args := append(append([]string{}, sh[1:]...), filepath.Join("dist", "ipvsadm-service.in"), verb)
	cmd := exec.Command(sh[0], args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "IPVSADM_LAYOUT=" + layout, "IPVSADM=" + fake,
		"IPVSADM_RULES=" + rules, "IPVSADM_CONFIG=" + filepath.Join(dir, "none"), "IPVSADM_CHECK=none",
		"FAKE_LOG=" + log}, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := helperRun{stdout: stdout.String(), stderr: stderr.String()}
	if exit, ok := err.(*exec.ExitError); ok {
		r.status = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(log)
	r.calls = string(b)
	b, _ = os.ReadFile(log + ".in")
	r.input = string(b)
	t.Logf("%v %s: exit %d\nstdout:\n%sstderr:\n%scalls:\n%s", sh, verb, r.status, r.stdout, r.stderr, r.calls)
	return r
}

// TestHelperReloadConverges: reload feeds the rules to "ipvsadm -R
// --converge" and never clears the table; start still clears and
// restores; a failed converge is a failed reload with the status; a
// missing rules file converges to an empty table.
func TestHelperReloadConverges(t *testing.T) {
	for _, sh := range helperShells(t) {
		t.Run(sh[0], func(t *testing.T) {
			rules := filepath.Join(t.TempDir(), "rules")
			text := "# comment\n-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1\n"
			if err := os.WriteFile(rules, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			want := "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1\n"

			r := runHelper(t, sh, "redhat", rules, "reload", "FAKE_ERR=ipvsadm: converge: 2 changes")
			if r.status != 0 || r.calls != "-R --converge --verbose\n" || r.input != want {
				t.Errorf("reload: status %d, calls %q, input %q; want 0, one -R --converge --verbose, %q", r.status, r.calls, r.input, want)
			}
			if !strings.Contains(r.stdout, "ipvsadm: converge: 2 changes\n") || !strings.Contains(r.stdout, "reloaded the IPVS table from "+rules+" (converged)\n") {
				t.Errorf("reload stdout:\n%s", r.stdout)
			}

			r = runHelper(t, sh, "debian", rules, "force-reload", "FAKE_STATUS=1", "FAKE_ERR=ipvsadm: line 2: refused")
			if r.status != 0 || r.calls != "" {
				t.Errorf("force-reload with AUTO unset ran %q (status %d), want nothing", r.calls, r.status)
			}

			r = runHelper(t, sh, "redhat", rules, "reload", "FAKE_STATUS=1", "FAKE_ERR=ipvsadm: line 2: refused")
			if r.status == 0 || strings.Contains(r.stdout, "reloaded") || !strings.Contains(r.stderr, "ipvsadm: line 2: refused\n") ||
				!strings.Contains(r.stderr, "ipvsadm-service: "+rules+": reload failed: ipvsadm -R --converge exited with status 1") {
				t.Errorf("failed converge: status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
			}

			r = runHelper(t, sh, "redhat", rules, "start")
			if r.status != 0 || r.calls != "-C\n-R\n" || r.input != want {
				t.Errorf("start: status %d, calls %q, input %q; want -C then -R of %q", r.status, r.calls, r.input, want)
			}

			missing := rules + ".missing"
			r = runHelper(t, sh, "redhat", missing, "reload")
			if r.status != 0 || r.calls != "-R --converge --verbose\n" || r.input != "" ||
				!strings.Contains(r.stdout, "no rules file "+missing+": emptied the IPVS table (converged)") {
				t.Errorf("reload without a rules file: %+v", r)
			}
		})
	}
}

// TestHelperSaveFails: a save whose ipvsadm fails, even after printing
// part of the table, leaves the rules file as it was, removes its
// temporary file, warns and fails; a good save replaces the file, keeps
// its mode and, on Debian, starts with the header line.
func TestHelperSaveFails(t *testing.T) {
	for _, sh := range helperShells(t) {
		t.Run(sh[0], func(t *testing.T) {
			for _, layout := range []string{"debian", "redhat"} {
				dir := t.TempDir()
				rules := filepath.Join(dir, "rules")
				const old = "-A -t 10.0.0.1:80 -s rr\n"
				if err := os.WriteFile(rules, []byte(old), 0o640); err != nil {
					t.Fatal(err)
				}
				r := runHelper(t, sh, layout, rules, "save", "FAKE_SAVE=-A -t 10.0.0.2:80 -s rr\n-a -t 10.0", "FAKE_STATUS=1")
				if r.status == 0 || strings.Contains(r.stdout, "saved") ||
					!strings.Contains(r.stderr, "ipvsadm-service: ipvsadm -S -n failed (status 1); "+rules+" left as it was") {
					t.Errorf("%s: failed save: status %d, stdout %q, stderr %q", layout, r.status, r.stdout, r.stderr)
				}
				if b, err := os.ReadFile(rules); err != nil || string(b) != old {
					t.Errorf("%s: rules file after a failed save: %q (%v), want %q", layout, b, err, old)
				}
				if entries, _ := os.ReadDir(dir); len(entries) != 1 {
					t.Errorf("%s: files left beside the rules file: %v", layout, entries)
				}

				const saved = "-A -t 10.0.0.2:80 -s rr\n"
				r = runHelper(t, sh, layout, rules, "save", "FAKE_SAVE="+saved)
				want := saved
				if layout == "debian" {
					want = "# ipvsadm.rules\n" + saved
				}
				if r.status != 0 || !strings.Contains(r.stdout, "saved the IPVS table to "+rules) {
					t.Errorf("%s: save: status %d, stdout %q, stderr %q", layout, r.status, r.stdout, r.stderr)
				}
				if b, err := os.ReadFile(rules); err != nil || string(b) != want {
					t.Errorf("%s: saved %q (%v), want %q", layout, b, err, want)
				}
				if fi, err := os.Stat(rules); err != nil || fi.Mode().Perm() != 0o640 {
					t.Errorf("%s: mode after save: %v (%v), want 0640 kept", layout, fi.Mode(), err)
				}
				if entries, _ := os.ReadDir(dir); len(entries) != 1 {
					t.Errorf("%s: files left beside the rules file: %v", layout, entries)
				}
			}
		})
	}
}
