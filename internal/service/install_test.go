package service

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// layoutFiles are the settings and rules files of each layout, with the
// mode each is installed with.
var layoutFiles = map[string][]struct {
	path string
	mode os.FileMode
	text string // content of a fresh install, or
	src  string // the file under dist/ that it is a copy of
}{
	"debian": {{"etc/default/ipvsadm", 0o644, "", "default-ipvsadm"}, {"etc/ipvsadm.rules", 0o644, "# ipvsadm.rules\n", ""}},
	"redhat": {{"etc/sysconfig/ipvsadm-config", 0o600, "", "ipvsadm-config"}, {"etc/sysconfig/ipvsadm", 0o600, "", ""}},
}

// TestMakeInstall runs "make install DESTDIR=… PREFIX=/usr LAYOUT=…" and
// checks the tree: binary, links, unit, helper, settings, rules; then
// that a second install keeps edited settings and rules files.
func TestMakeInstall(t *testing.T) {
	for _, layout := range []string{"debian", "redhat"} {
		t.Run(layout, func(t *testing.T) {
			dest := t.TempDir()
			if _, err := Make("install", "DESTDIR="+dest, "PREFIX=/usr", "LAYOUT="+layout); err != nil {
				t.Fatal(err)
			}
			checkBinary(t, dest)
			checkCompletion(t, dest)
			checkUnit(t, dest, layout)
			checkHelper(t, dest, layout)
			for other, files := range layoutFiles {
				for _, f := range files {
					_, err := os.Lstat(filepath.Join(dest, f.path))
					if other != layout {
						if err == nil {
							t.Errorf("%s: %s installed for the %s layout", f.path, other, layout)
						}
						continue
					}
					checkFile(t, dest, f.path, f.mode)
					want := f.text
					if f.src != "" {
						want = readFile(t, filepath.Join("dist", f.src))
					}
					if got := readFile(t, filepath.Join(dest, f.path)); got != want {
						t.Errorf("%s: %q, want %q", f.path, got, want)
					}
				}
			}

			// A second install keeps what the administrator wrote.
			for _, f := range layoutFiles[layout] {
				if err := os.WriteFile(filepath.Join(dest, f.path), []byte("# edited\n"), f.mode); err != nil {
					t.Fatal(err)
				}
			}
			out, err := Make("install", "DESTDIR="+dest, "PREFIX=/usr", "LAYOUT="+layout)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range layoutFiles[layout] {
				if got := readFile(t, filepath.Join(dest, f.path)); got != "# edited\n" {
					t.Errorf("second install overwrote %s: %q", f.path, got)
				}
				if !bytes.Contains(out, []byte("keeping the existing "+filepath.Join(dest, f.path))) {
					t.Errorf("second install does not say it keeps %s:\n%s", f.path, out)
				}
			}
		})
	}
}

// TestMakeInstallLayoutChoice checks the default layout (the running
// system's) and that an unknown one is refused.
func TestMakeInstallLayoutChoice(t *testing.T) {
	want := "debian"
	if !exists("/etc/debian_version") && (exists("/etc/redhat-release") || exists("/etc/sysconfig")) {
		want = "redhat"
	}
	dest := t.TempDir()
	out, err := Make("install-service", "DESTDIR="+dest)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte("ipvsadm.service: "+want+" layout")) {
		t.Errorf("default layout is not %s:\n%s", want, out)
	}
	if out, err := Make("install-service", "DESTDIR="+t.TempDir(), "LAYOUT=suse"); err == nil {
		t.Errorf("LAYOUT=suse accepted:\n%s", out)
	}
}

func checkBinary(t *testing.T, dest string) {
	t.Helper()
	checkFile(t, dest, "usr/sbin/ipvsadm", 0o755)
	for _, l := range []string{"ipvsadm-save", "ipvsadm-restore"} {
		p := filepath.Join(dest, "usr/sbin", l)
		if target, err := os.Readlink(p); err != nil || target != "ipvsadm" {
			t.Errorf("%s: link to %q (%v), want ipvsadm", p, target, err)
		}
	}
}

// completionDir is where make install PREFIX=/usr puts the bash completion.
const completionDir = "usr/share/bash-completion/completions"

// checkCompletion checks the bash completion: the file as in the source
// tree, the links for ipvsadm-save and ipvsadm-restore; and, when the
// bash-completion package is installed, that its on-demand loader finds
// the completion of each of the three names there.
func checkCompletion(t *testing.T, dest string) {
	t.Helper()
	checkFile(t, dest, filepath.Join(completionDir, "ipvsadm"), 0o644)
	if got, want := readFile(t, filepath.Join(dest, completionDir, "ipvsadm")),
		readFile(t, "../../cmd/ipvsadm/completion/ipvsadm.bash"); got != want {
		t.Errorf("%s/ipvsadm differs from cmd/ipvsadm/completion/ipvsadm.bash", completionDir)
	}
	for _, l := range []string{"ipvsadm-save", "ipvsadm-restore"} {
		p := filepath.Join(dest, completionDir, l)
		if target, err := os.Readlink(p); err != nil || target != "ipvsadm" {
			t.Errorf("%s: link to %q (%v), want ipvsadm", p, target, err)
		}
	}
	const loader = "/usr/share/bash-completion/bash_completion"
	bash, err := exec.LookPath("bash")
	if err != nil || !exists(loader) {
		t.Logf("bash or bash-completion (%s) missing: on-demand loading not checked", loader)
		return
	}
	// BASH_COMPLETION_USER_DIR puts the staged directory first on the
	// loader's path.
	script := `source ` + loader + ` >/dev/null 2>&1
for cmd in ipvsadm-restore ipvsadm-save ipvsadm; do
	complete -r "$cmd" 2>/dev/null
	__load_completion "$cmd" || { echo "$cmd: not loaded"; continue; }
	complete -p "$cmd"
done`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
	cmd.Env = append(os.Environ(), "BASH_COMPLETION_USER_DIR="+filepath.Join(dest, "usr/share/bash-completion"))
	out, err := cmd.CombinedOutput()
	want := "complete -F _ipvsadm_go ipvsadm-restore\ncomplete -F _ipvsadm_go ipvsadm-save\ncomplete -F _ipvsadm_go ipvsadm\n"
	if err != nil || string(out) != want {
		t.Errorf("bash-completion loading the staged completion: %v\n%s\nwant:\n%s", err, out, want)
	}
}

func checkUnit(t *testing.T, dest, layout string) {
	t.Helper()
	p := filepath.Join(dest, "lib/systemd/system/ipvsadm.service")
	checkFile(t, dest, "lib/systemd/system/ipvsadm.service", 0o644)
	u, err := ParseUnit(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"IPVSADM_LAYOUT=" + layout}; !reflect.DeepEqual(u.Env, want) {
		t.Errorf("Environment %q, want %q", u.Env, want)
	}
	for key, verb := range map[string]string{"ExecStart": "start", "ExecStop": "stop", "ExecReload": "reload"} {
		want := [][]string{{"/usr/lib/ipvsadm/ipvsadm-service", verb}}
		if got := u.Exec[key]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s=%q, want %q", key, got, want)
		}
	}
	if text := readFile(t, p); strings.Contains(text, "@") {
		t.Errorf("placeholder left in the unit:\n%s", text)
	}
}

func checkHelper(t *testing.T, dest, layout string) {
	t.Helper()
	p := filepath.Join(dest, "usr/lib/ipvsadm/ipvsadm-service")
	checkFile(t, dest, "usr/lib/ipvsadm/ipvsadm-service", 0o755)
	text := readFile(t, p)
	for _, want := range []string{"\nsbindir='/usr/sbin'\n", "\nsysconfdir='/etc'\n", "\ninstalled_layout='" + layout + "'\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("helper lacks %q", strings.TrimSpace(want))
		}
	}
}

func checkFile(t *testing.T, dest, rel string, mode os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(filepath.Join(dest, rel))
	if err != nil {
		t.Errorf("%s not installed: %v", rel, err)
		return
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != mode {
		t.Errorf("%s: mode %v, want a regular file with %v", rel, fi.Mode(), mode)
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

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
