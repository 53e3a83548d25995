// Package packagetest checks the packages that make deb and make rpm build:
// their metadata and file lists against what make install lays out, lintian
// and rpmlint, and installs and upgrades into scratch roots with dpkg --root
// and rpm --root. The packaged unit's commands run on the real kernel in
// servicetest (TestDebPackageService).
package packagetest

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/rule"
	"github.com/ipvsadm-go/ipvsadm/internal/service"
)

// distDir holds the package sources, relative to this package.
const distDir = "../dist"

// tool finds name on PATH. A missing tool fails the test when running as
// root (make deps installs it, as root, with apt) and skips it otherwise.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Geteuid() == 0 {
		t.Fatalf("%s not found: make deps installs it (apt-get install %s)", name, pkg)
	}
	t.Skipf("%s not found and not root: install it with apt-get install %s (make deps does as root)", name, pkg)
	return ""
}

// needRoot skips the test unless it runs as root.
func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("not root: %s needs root", why)
	}
}

// run runs a command and returns its stdout; it fails the test unless the
// command succeeds.
func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// ownVersion is this project's version, internal/service/dist/VERSION.
func ownVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(distDir, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// compatVersion is the ipvsadm version that "ipvsadm -v" claims.
func compatVersion(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`^ipvsadm v([0-9.]+) `).FindStringSubmatch(rule.VersionLine)
	if m == nil {
		t.Fatalf("no version in %q", rule.VersionLine)
	}
	return m[1]
}

// packages are built once per format and version for all tests.
var (
	buildMu sync.Mutex
	built   = map[string]string{}
	tmpDirs []string
)

// pkg builds (once) the package of format with this project's version
// own ("" for the VERSION file) and returns its path.
func pkg(t *testing.T, format, own string) string {
	t.Helper()
	if format == "deb" {
		tool(t, "dpkg-deb", "dpkg")
	} else {
		tool(t, "rpmbuild", "rpm")
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	key := format + " " + own
	if p, ok := built[key]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "packagetest-")
	if err != nil {
		t.Fatal(err)
	}
	tmpDirs = append(tmpDirs, dir)
	p, err := service.BuildPackage(format, dir, own)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	t.Logf("built %s (%d bytes)", filepath.Base(p), fi.Size())
	built[key] = p
	return p
}

func TestMain(m *testing.M) {
	status := m.Run()
	for _, d := range tmpDirs {
		os.RemoveAll(d)
	}
	os.Exit(status)
}

// entry is one file of a tree: its mode (type and permissions) and its
// content (a symlink's target; a gzipped man page uncompressed).
type entry struct {
	mode os.FileMode
	data string
}

// readTree lists the files and symlinks under root by their path relative
// to it. Man pages (*.8.gz) are listed without .gz and uncompressed.
func readTree(t *testing.T, root string) map[string]entry {
	t.Helper()
	tree := map[string]entry{}
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		e := entry{mode: fi.Mode() & (os.ModeType | os.ModePerm)}
		if fi.Mode()&os.ModeSymlink != 0 {
			e.data, err = os.Readlink(p)
			tree[rel] = e
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rel, "usr/share/man/") && strings.HasSuffix(rel, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return err
			}
			if b, err = io.ReadAll(zr); err != nil {
				return err
			}
			rel = strings.TrimSuffix(rel, ".gz")
		}
		e.data = string(b)
		tree[rel] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// makeInstall is the tree that make install lays out with vars.
func makeInstall(t *testing.T, vars ...string) map[string]entry {
	t.Helper()
	dest := t.TempDir()
	if _, err := service.Make("install", append([]string{"DESTDIR=" + dest}, vars...)...); err != nil {
		t.Fatal(err)
	}
	return readTree(t, dest)
}

// compareTrees checks that pkg holds exactly the files of installed, with
// the same modes and contents (the binary is stripped in the package:
// only its mode is compared), plus the files of extra.
func compareTrees(t *testing.T, pkg, installed map[string]entry, binary string, extra ...string) {
	t.Helper()
	for rel, want := range installed {
		got, ok := pkg[rel]
		switch {
		case !ok:
			t.Errorf("%s: installed by make install, missing from the package", rel)
		case got.mode != want.mode:
			t.Errorf("%s: mode %v in the package, %v from make install", rel, got.mode, want.mode)
		case rel != binary && got.data != want.data:
			t.Errorf("%s: differs from what make install installs", rel)
		}
	}
	if b := pkg[binary]; !strings.HasPrefix(b.data, "\x7fELF") {
		t.Errorf("%s: not an ELF executable", binary)
	}
	for rel := range pkg {
		if _, ok := installed[rel]; !ok && !slices.Contains(extra, rel) {
			t.Errorf("%s: in the package, not installed by make install", rel)
		}
	}
	for _, rel := range extra {
		if _, ok := pkg[rel]; !ok {
			t.Errorf("%s: missing from the package", rel)
		}
	}
}
