package servicetest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// bigTable is a table of n services with a server each, whose save is far
// larger than the small file system of TestSaveDiskFull.
func bigTable(n int) string {
	var b strings.Builder
	for i := range n {
		vip := fmt.Sprintf("10.%d.%d.1:80", 100+i/250, i%250)
		fmt.Fprintf(&b, "-A -t %s -s wlc\n-a -t %s -r 192.168.%d.%d:8080 -m -w 1\n", vip, vip, i/250, 1+i%250)
	}
	return b.String()
}

// TestSaveDiskFull: "ipvsadm-service save" on a file system that cannot
// hold the table (a 64 KiB tmpfs, full or with 8 KiB free, and a save of
// about 150 KB) fails: status 1, a warning on stderr, no "saved"; the old
// rules file is left byte for byte, and no temporary file is left beside
// it.
func TestSaveDiskFull(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.rules")
	if err := os.WriteFile(big, []byte(bigTable(2000)), 0o644); err != nil {
		t.Fatal(err)
	}
	forEach(t, func(t *testing.T, s *svc) {
		for _, free := range []int{0, 8} {
			t.Run(strconv.Itoa(free)+"k-free", func(t *testing.T) {
				s := s.with(t)
				ns := vmtest.NewNetNS(t)
				s.settings(settingsFor(s.layout, false))
				dir := smallFS(t, "64k")
				s.useRules(filepath.Join(dir, "rules"))
				s.rules(savedRules(t))
				old := readFile(t, s.Rules)
				fill(t, dir, free)

				// Loaded and measured with ours: the reference restores
				// these 4,000 lines and saves them in about 5 s under
				// emulation, and what is tested is the helper's save.
				ns.Sh(t, sbin+"/ipvsadm -R <"+big)
				if size := ns.Sh(t, sbin+"/ipvsadm -Sn | wc -c"); atoi(t, size) <= 64<<10 {
					t.Fatalf("the save of the table (%s bytes) fits in the file system", size)
				}

				r := s.run(ns, "save")
				if r.Status == 0 {
					t.Errorf("save succeeded")
				}
				if !strings.Contains(r.Stderr, "ipvsadm-service: ") || !strings.Contains(r.Stderr, s.Rules+" left as it was") {
					t.Errorf("no warning that %s was left as it was on stderr:\n%s", s.Rules, r.Stderr)
				}
				if strings.Contains(r.Stdout, "saved") {
					t.Errorf("save says it saved:\n%s", r.Stdout)
				}
				if got := readFile(t, s.Rules); got != old {
					t.Errorf("the rules file changed: %d bytes, was %d:\n%.300s", len(got), len(old), got)
				}
				if names := dirNames(t, dir); !slices.Equal(names, []string{"fill", "rules"}) {
					t.Errorf("files left beside the rules file: %q, want fill and rules", names)
				}
			})
		}
	})
}

// smallFS mounts a tmpfs of size (mount's "size=" option) on a new
// directory, unmounted when the test ends.
func smallFS(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0755"); err != nil {
		t.Fatalf("mount -t tmpfs -o size=%s %s: %v", size, dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			t.Errorf("umount %s: %v", dir, err)
		}
	})
	return dir
}

// fill fills the file system of dir with the file dir/fill, leaving
// free KiB free.
func fill(t *testing.T, dir string, free int) {
	t.Helper()
	spare := filepath.Join(dir, "spare")
	if free > 0 {
		if err := os.WriteFile(spare, make([]byte, free<<10), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Create(filepath.Join(dir, "fill"))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for err == nil {
		_, err = f.Write(buf)
	}
	if !errors.Is(err, unix.ENOSPC) {
		t.Fatalf("filling %s: %v, want ENOSPC", dir, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if free > 0 {
		if err := os.Remove(spare); err != nil {
			t.Fatal(err)
		}
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if got := int(st.Bavail) * int(st.Bsize); got != free<<10 {
		t.Fatalf("%s has %d bytes free, want %d", dir, got, free<<10)
	}
}

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
