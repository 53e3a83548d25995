package servicetest

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// TestDebPackageService runs the unit of make deb's package as installed:
// its ExecStart, ExecReload and ExecStop, its helper and its ipvsadm at
// /sbin/ipvsadm, with its own /etc/default/ipvsadm turned on (AUTO="true").
// start restores the rules file on the real kernel; reload converges to
// the edited file, which only our ipvsadm can (ipvsadm -R --converge), so
// it also shows the package's binary did the work; stop empties the table.
func TestDebPackageService(t *testing.T) {
	defaults := readFile(t, filepath.Join(debRoot, "etc/default/ipvsadm"))
	if !strings.Contains(defaults, "\nAUTO=\"false\"\n") {
		t.Fatalf("the package's /etc/default/ipvsadm does not set AUTO=\"false\":\n%s", defaults)
	}
	for _, sh := range shells {
		t.Run(sh.name, func(t *testing.T) {
			s := newPackagedSvc(t, sh.path)
			ns := vmtest.NewNetNS(t)
			s.settings(strings.Replace(defaults, "\nAUTO=\"false\"\n", "\nAUTO=\"true\"\n", 1))
			s.rules(savedRules(t))
			s.must(ns, "start")
			sameTable(t, ns, ruleLines(savedRules(t)), "after start")

			edited := "-A -t 10.1.1.1:80 -s rr\n-a -t 10.1.1.1:80 -r 192.168.2.1:80 -m -w 1\n"
			s.rules(edited)
			if r := s.must(ns, "reload"); !strings.Contains(r.Stdout, "converged") {
				t.Errorf("reload did not converge: %+v", r)
			}
			sameTable(t, ns, ruleLines(edited), "after reload")

			s.must(ns, "stop")
			sameTable(t, ns, nil, "after stop")
		})
	}
}
