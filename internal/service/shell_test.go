package service

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The shell scripts must parse under dash (Debian's /bin/sh) and busybox
// sh (the VM's, where servicetest runs them for real under both).
func TestScriptsParse(t *testing.T) {
	scripts := []string{
		filepath.Join("dist", "ipvsadm-service.in"),
		filepath.Join("dist", "install-service.sh"),
	}
	shells := [][]string{{"dash"}, {"busybox", "sh"}}
	for _, sh := range shells {
		if _, err := exec.LookPath(sh[0]); err != nil {
			if sh[0] == "dash" || os.Getenv("CI") == "true" {
				t.Errorf("%s not found: %v", sh[0], err)
			} else {
				t.Logf("%s not found; not checked here", sh[0])
			}
			continue
		}
		for _, s := range scripts {
			args := append(append([]string{}, sh[1:]...), "-n", s)
			if out, err := exec.Command(sh[0], args...).CombinedOutput(); err != nil {
				t.Errorf("%v -n %s: %v\n%s", sh, s, err, out)
			}
		}
	}
}
