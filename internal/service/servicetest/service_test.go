package servicetest

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// TestSaveFlushStart is the reboot cycle: start restores the rules file;
// the table is changed; stop saves it (Red Hat, IPVS_SAVE_ON_STOP=yes) or
// "save" does (Debian) and stop clears the table; in a fresh namespace (a
// rebooted machine) start brings back the saved table.
func TestSaveFlushStart(t *testing.T) {
	forEach(t, func(t *testing.T, s *svc) {
		ns := vmtest.NewNetNS(t)
		s.settings(settingsFor(s.layout, true))
		s.rules(savedRules(t))
		s.must(ns, "start")
		sameTable(t, ns, ruleLines(savedRules(t)), "after start")

		status := s.must(ns, "status")
		if listing := ns.Sh(t, reference+" -L -n"); !strings.Contains(status.Stdout, listing) {
			t.Errorf("status does not list the table:\n%s\nwant it to hold:\n%s", status.Stdout, listing)
		}

		ns.Sh(t, reference+" -A -t 10.0.0.9:25 -s rr && "+reference+" -a -t 10.0.0.9:25 -r 192.168.1.90:25 -m -w 5 && "+
			reference+" -d -t 10.0.0.1:80 -r 192.168.1.10:80")
		want := table(t, ns)
		if s.layout == "debian" {
			s.must(ns, "save")
		}
		s.must(ns, "stop")
		sameTable(t, ns, nil, "after stop")
		saved := readFile(t, s.Rules)
		if got := ruleLines(saved); !slices.Equal(got, want) {
			t.Errorf("saved rules:\n%s\nwant:\n%s", saved, strings.Join(want, "\n"))
		}
		if s.layout == "debian" && !strings.HasPrefix(saved, "# ipvsadm.rules\n") {
			t.Errorf("Debian rules file without its header line:\n%s", saved)
		}
		wantMode := os.FileMode(0o600)
		if s.layout == "debian" {
			wantMode = 0o644
		}
		if fi, err := os.Stat(s.Rules); err != nil || fi.Mode().Perm() != wantMode {
			t.Errorf("rules file mode %v (%v), want %v kept", fi.Mode(), err, wantMode)
		}
		if s.layout == "redhat" {
			log, _ := os.ReadFile(s.modprobeLog)
			if f := strings.Fields(string(log)); len(f) < 2 || f[0] != "-r" || f[len(f)-1] != "ip_vs" {
				t.Errorf("IPVS_MODULES_UNLOAD=yes: modprobe ran with %q, want -r … ip_vs", log)
			}
		}

		rebooted := vmtest.NewNetNS(t)
		s.must(rebooted, "start")
		sameTable(t, rebooted, want, "after the reboot")
	})
}

// TestStopWithoutSave: stop leaves the rules file alone unless asked to
// save (Debian's stop never saves), and unloads no module when
// IPVS_MODULES_UNLOAD=no.
func TestStopWithoutSave(t *testing.T) {
	forEach(t, func(t *testing.T, s *svc) {
		ns := vmtest.NewNetNS(t)
		cfg := settingsFor(s.layout, false)
		cfg = strings.Replace(cfg, `IPVS_MODULES_UNLOAD="yes"`, `IPVS_MODULES_UNLOAD="no"`, 1)
		s.settings(cfg)
		s.rules(savedRules(t))
		s.must(ns, "start")
		ns.Sh(t, reference+" -A -t 10.0.0.9:25 -s rr")
		s.must(ns, "stop")
		sameTable(t, ns, nil, "after stop")
		if got := readFile(t, s.Rules); got != savedRules(t) {
			t.Errorf("stop rewrote the rules file:\n%s", got)
		}
		if _, err := os.Stat(s.modprobeLog); err == nil {
			t.Errorf("modprobe ran with IPVS_MODULES_UNLOAD=no: %q", readFile(t, s.modprobeLog))
		}
	})
}

// TestMissingRules: without a rules file start succeeds with an empty
// table.
func TestMissingRules(t *testing.T) {
	forEach(t, func(t *testing.T, s *svc) {
		ns := vmtest.NewNetNS(t)
		s.settings(settingsFor(s.layout, false))
		ns.Sh(t, reference+" -A -t 10.5.5.5:80 -s rr")
		r := s.must(ns, "start")
		sameTable(t, ns, nil, "after start")
		if !strings.Contains(r.Stdout, "empty") {
			t.Errorf("start does not say the table starts empty: %+v", r)
		}
	})
}

// TestMalformedRules: a rules file with a bad line fails start, names the
// line on stderr and leaves the table as it was; "check" finds the same.
// Unchecked (IPVSADM_CHECK=none) start still fails.
func TestMalformedRules(t *testing.T) {
	bad := map[string]struct{ line, complaint string }{
		"kernel": {"-a -t 10.9.9.9:80 -r 192.168.1.11:80 -m", "Service not defined"},
		"syntax": {"-A -t 10.7.7.3:80 --bogus", "--bogus"},
	}
	forEach(t, func(t *testing.T, s *svc) {
		s.settings(settingsFor(s.layout, false))
		for name, b := range bad {
			t.Run(name, func(t *testing.T) {
				s := s.with(t)
				ns := vmtest.NewNetNS(t)
				ns.Sh(t, "grep -v '^#' testdata/saved.rules | "+reference+" -R")
				before := table(t, ns)
				s.rules("# line 1\n-A -t 10.7.7.1:80 -s rr\n" + b.line + "\n-A -t 10.7.7.2:80 -s rr\n")

				r := s.run(ns, "start")
				if r.Status == 0 {
					t.Errorf("start succeeded")
				}
				if want := s.Rules + ":3: rejected: " + b.line; !strings.Contains(r.Stderr, want) {
					t.Errorf("stderr does not name the line (%q):\n%s", want, r.Stderr)
				}
				if !strings.Contains(r.Stderr, b.complaint) {
					t.Errorf("stderr lacks ipvsadm's complaint %q:\n%s", b.complaint, r.Stderr)
				}
				sameTable(t, ns, before, "after the failed start")

				if r := s.run(ns, "check"); r.Status == 0 || !strings.Contains(r.Stderr, ":3: rejected: ") {
					t.Errorf("check: %+v", r)
				}
				sameTable(t, ns, before, "after check")

				r = run(t, ns, append(s.env, "IPVSADM_CHECK=none"), s.command("start")...)
				if r.Status == 0 || !strings.Contains(r.Stderr, b.complaint) {
					t.Errorf("unchecked start: %+v", r)
				}
			})
		}
	})
}

// TestReload replaces the table by the edited rules file.
func TestReload(t *testing.T) {
	forEach(t, func(t *testing.T, s *svc) {
		ns := vmtest.NewNetNS(t)
		s.settings(settingsFor(s.layout, false))
		s.rules(savedRules(t))
		s.must(ns, "start")
		edited := "-A -t 10.1.1.1:80 -s rr\n-a -t 10.1.1.1:80 -r 192.168.2.1:80 -m -w 1\n"
		s.rules(edited)
		s.must(ns, "reload")
		sameTable(t, ns, ruleLines(edited), "after reload")
		if r := s.must(ns, "check"); !strings.Contains(r.Stdout, "accepted") {
			t.Errorf("check: %+v", r)
		}
	})
}

// TestRedhatRestartSaves: "ipvsadm-service restart" saves the table first
// when IPVS_SAVE_ON_RESTART=yes, then restores it.
func TestRedhatRestartSaves(t *testing.T) {
	forLayout(t, "redhat", func(t *testing.T, s *svc) {
		ns := vmtest.NewNetNS(t)
		s.settings("IPVS_MODULES_UNLOAD=no\nIPVS_SAVE_ON_STOP=no\nIPVS_SAVE_ON_RESTART=yes\nIPVS_STATUS_NUMERIC=no\n")
		s.rules(savedRules(t))
		s.must(ns, "start")
		ns.Sh(t, reference+" -A -t 10.0.0.9:25 -s rr")
		want := table(t, ns)
		s.must(ns, "restart")
		sameTable(t, ns, want, "after restart")
		if got := ruleLines(readFile(t, s.Rules)); !slices.Equal(got, want) {
			t.Errorf("restart did not save: %q", got)
		}
		status := s.must(ns, "status")
		if listing := ns.Sh(t, reference+" -L"); !strings.Contains(status.Stdout, listing) {
			t.Errorf("IPVS_STATUS_NUMERIC=no: status\n%s\nwant\n%s", status.Stdout, listing)
		}
	})
}
