package service

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// manDir is where the man pages live, relative to this package.
const manDir = "../../cmd/ipvsadm/man"

var manPages = []string{"ipvsadm.8", "ipvsadm-save.8", "ipvsadm-restore.8"}

// needTool finds name on PATH. When it is missing and the test runs as root
// it installs man-db and groff-base with apt-get; otherwise the test is
// skipped, except under CI=true where a missing tool is a failure.
func needTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("apt-get"); err == nil {
			cmd := exec.Command("apt-get", "install", "-y", "--no-install-recommends", "man-db", "groff-base")
			cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Logf("apt-get install man-db groff-base: %v\n%s", err, out)
			}
			if p, err := exec.LookPath(name); err == nil {
				return p
			}
		}
	}
	msg := name + " not found (install man-db and groff-base)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// TestManPagesRender formats each page with man(1) and with groff's full
// warning set; any diagnostic or a non-zero exit is a failure.
func TestManPagesRender(t *testing.T) {
	man := needTool(t, "man")
	groff := needTool(t, "groff")
	for _, page := range manPages {
		t.Run(page, func(t *testing.T) {
			path, err := filepath.Abs(filepath.Join(manDir, page))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatal(err)
			}
			runs := []*exec.Cmd{
				exec.Command(man, "-l", "--warnings", "-E", "UTF-8", path),
				exec.Command(groff, "-man", "-Tutf8", "-ww", "-z", path),
			}
			for _, cmd := range runs {
				cmd.Env = append(os.Environ(), "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat", "LC_ALL=C.UTF-8")
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				if err != nil {
					t.Errorf("%s: %v\nstderr:\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
					continue
				}
				if stderr.Len() > 0 {
					t.Errorf("%s: warnings on stderr:\n%s", strings.Join(cmd.Args, " "), stderr.String())
				}
				if cmd.Args[0] == man && !strings.Contains(stdout.String(), "NAME") {
					t.Errorf("%s: no NAME section in the output:\n%s", strings.Join(cmd.Args, " "), stdout.String())
				}
			}
		})
	}
}

// TestManPageLongOptions requires every long option of the help text to be
// documented in ipvsadm.8.
func TestManPageLongOptions(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(manDir, "ipvsadm.8"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(src)
	seen := map[string]bool{}
	for _, opt := range regexp.MustCompile(`--[a-z-]+`).FindAllString(rule.Usage("ipvsadm"), -1) {
		seen[strings.TrimRight(opt, "-")] = true
	}
	if len(seen) < 40 {
		t.Fatalf("only %d long options found in the help text", len(seen))
	}
	var missing []string
	for opt := range seen {
		name := strings.TrimPrefix(opt, "--")
		escaped := `\-\-` + strings.ReplaceAll(name, "-", `\-`)
		if !strings.Contains(page, escaped) && !strings.Contains(page, `\-\-`+name) && !strings.Contains(page, opt) {
			missing = append(missing, opt)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("long options of the help text missing from ipvsadm.8: %s", strings.Join(missing, " "))
	}
}
