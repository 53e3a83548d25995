package servicetest

import (
	"strings"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// TestDebianDaemons: DAEMON starts the sync daemons it names on IFACE with
// SYNCID, stop stops them; AUTO="false" leaves the table alone; an
// interface that does not exist fails start.
func TestDebianDaemons(t *testing.T) {
	for _, tc := range []struct {
		daemon string
		want   []string
	}{
		{"master", []string{"master"}},
		{"backup", []string{"backup"}},
		{"both", []string{"master", "backup"}},
		{"none", nil},
	} {
		t.Run(tc.daemon, func(t *testing.T) {
			forLayout(t, "debian", func(t *testing.T, s *svc) {
				ns := vmtest.NewNetNS(t)
				ns.Sh(t, "ip link add d0 type dummy && ip addr add 10.200.0.1/24 dev d0 && ip link set d0 up && "+
					reference+" -A -t 10.5.5.5:80 -s rr")
				before := table(t, ns)
				s.settings("AUTO=\"false\"\nDAEMON=\"" + tc.daemon + "\"\nIFACE=\"d0\"\nSYNCID=\"7\"\n")
				s.rules(savedRules(t))
				r := s.must(ns, "start")
				sameTable(t, ns, before, `AUTO="false": after start`)
				if tc.want == nil && !strings.Contains(r.Stdout, "not configured") {
					t.Errorf("DAEMON=none, AUTO=false: start does not say so: %+v", r)
				}
				got := ns.Sh(t, reference+" -L --daemon")
				lines := strings.Split(strings.TrimSpace(got), "\n")
				if got == "" {
					lines = nil
				}
				if len(lines) != len(tc.want) {
					t.Fatalf("daemons after start:\n%s\nwant %q", got, tc.want)
				}
				for i, role := range tc.want {
					if want := role + " sync daemon (mcast=d0, syncid=7,"; !strings.HasPrefix(lines[i], want) {
						t.Errorf("daemon %d: %q, want %q…", i, lines[i], want)
					}
				}
				if status := s.must(ns, "status"); !strings.Contains(status.Stdout, got) {
					t.Errorf("status does not show the daemons:\n%s", status.Stdout)
				}
				s.must(ns, "stop")
				if got := ns.Sh(t, reference+" -L --daemon"); got != "" {
					t.Errorf("daemons after stop:\n%s", got)
				}
				sameTable(t, ns, before, `AUTO="false": after stop`)
			})
		})
	}
	t.Run("no-such-interface", func(t *testing.T) {
		forLayout(t, "debian", func(t *testing.T, s *svc) {
			ns := vmtest.NewNetNS(t)
			s.settings("AUTO=\"false\"\nDAEMON=\"master\"\nIFACE=\"nosuch0\"\n")
			if r := s.run(ns, "start"); r.Status == 0 || !strings.Contains(r.Stderr, "master sync daemon") {
				t.Errorf("start with a missing interface: %+v", r)
			}
		})
	})
}
