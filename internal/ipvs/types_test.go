package ipvs

import "testing"

// TestNames checks each enum's name table both ways: every name parses
// back to its value, and values without a name print their number.
func TestNames(t *testing.T) {
	for p, want := range map[Protocol][2]string{TCP: {"TCP", "tcp"}, UDP: {"UDP", "udp"}, SCTP: {"SCTP", "sctp"}, 1: {"protocol(1)", ""}} {
		if got := p.String(); got != want[0] {
			t.Errorf("Protocol(%d).String() = %q, want %q", p, got, want[0])
		}
		if got := p.Name(); got != want[1] {
			t.Errorf("Protocol(%d).Name() = %q, want %q", p, got, want[1])
		}
		if back, ok := ParseProtocol(want[0]); ok != (want[1] != "") || ok && back != p {
			t.Errorf("ParseProtocol(%q) = %d, %v", want[0], back, ok)
		}
	}
	for m, want := range map[ForwardMethod]string{Masquerade: "Masq", Local: "Local", Tunnel: "Tunnel", Route: "Route", 4: "method(4)"} {
		if got := m.String(); got != want {
			t.Errorf("ForwardMethod(%d).String() = %q, want %q", m, got, want)
		}
		if back, ok := ParseForwardMethod(want); ok != (m <= Route) || ok && back != m {
			t.Errorf("ParseForwardMethod(%q) = %d, %v", want, back, ok)
		}
	}
	for tt, want := range map[TunnelType]string{TunnelIPIP: "ipip", TunnelGUE: "gue", TunnelGRE: "gre", 3: "tunnel(3)"} {
		if got := tt.String(); got != want {
			t.Errorf("TunnelType(%d).String() = %q, want %q", tt, got, want)
		}
		if back, ok := ParseTunnelType(want); ok != (tt <= TunnelGRE) || ok && back != tt {
			t.Errorf("ParseTunnelType(%q) = %d, %v", want, back, ok)
		}
	}
	for f, want := range map[TunnelFlags]string{TunnelNoChecksum: "nocsum", TunnelChecksum: "csum", TunnelRemoteChecksum: "remcsum", 3: "flags(0x3)"} {
		if got := f.String(); got != want {
			t.Errorf("TunnelFlags(%d).String() = %q, want %q", f, got, want)
		}
	}
	for s, want := range map[DaemonState]string{Master: "master", Backup: "backup", 3: "state(3)"} {
		if got := s.String(); got != want {
			t.Errorf("DaemonState(%d).String() = %q, want %q", s, got, want)
		}
		if back, ok := ParseDaemonState(want); ok != (s != 3) || ok && back != s {
			t.Errorf("ParseDaemonState(%q) = %d, %v", want, back, ok)
		}
	}
}

func TestSchedFlagNames(t *testing.T) {
	for _, tc := range []struct {
		sched string
		bit   ServiceFlags
		want  string
	}{
		{"wlc", FlagSched1, "flag-1"}, {"", FlagSched2, "flag-2"}, {"rr", FlagSched3, "flag-3"},
		{"sh", FlagSched1, "sh-fallback"}, {"sh", FlagSched2, "sh-port"}, {"sh", FlagSched3, ""},
		{"mh", FlagSched1, "mh-fallback"}, {"mh", FlagSched2, "mh-port"}, {"mh", FlagSched3, ""},
		{"wlc", FlagPersistent, ""},
	} {
		got := SchedFlagName(tc.sched, tc.bit)
		if got != tc.want {
			t.Errorf("SchedFlagName(%q, %#x) = %q, want %q", tc.sched, tc.bit, got, tc.want)
		}
		if got == "" {
			continue
		}
		wantSched := tc.sched
		if wantSched != "sh" && wantSched != "mh" {
			wantSched = ""
		}
		if bit, sched, ok := ParseSchedFlag(got); !ok || bit != tc.bit || sched != wantSched {
			t.Errorf("ParseSchedFlag(%q) = %#x, %q, %v", got, bit, sched, ok)
		}
	}
	if _, _, ok := ParseSchedFlag("flag-4"); ok {
		t.Error(`ParseSchedFlag("flag-4") succeeded`)
	}
}
