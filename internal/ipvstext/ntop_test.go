package ipvstext

import (
	"net/netip"
	"testing"
)

// formatAddr is AppendAddr's text as a string.
func formatAddr(a netip.Addr) string { return string(AppendAddr(nil, a)) }

func TestFormatAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		// The complete table of 3.6.
		{"::1", "::1"},
		{"::2", "::2"},
		{"::102:304", "::1.2.3.4"},
		{"::0.1.0.0", "::0.1.0.0"},
		{"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
		{"::ffff:0:1.2.3.4", "::ffff:0:102:304"},
		{"64:ff9b::1.2.3.4", "64:ff9b::102:304"},
		{"1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"},
		{"0:0:0:0:0:1:0:0", "::1:0:0"},
		// Further glibc inet_ntop rules (derived from the rules in 3.6).
		{"::", "::"},
		{"0000:0000:0000:0000:0:0:0:0", "::"},
		{"2001:db8::100", "2001:db8::100"},
		{"2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
		{"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
		{"0:0:1:0:0:0:1:0", "0:0:1::1:0"},
		{"1::", "1::"},
		{"fe80::", "fe80::"},
		{"fe80::1", "fe80::1"},
		{"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
		{"::ffff:0.0.0.0", "::ffff:0.0.0.0"},
		{"0:0:0:0:0:0:0:ffff", "::ffff"},
		{"0:0:0:0:0:0:0:1", "::1"},
		{"0:0:0:0:0:1:1.2.3.4", "::1:102:304"},
		// IPv4 is a plain dotted quad.
		{"192.168.0.1", "192.168.0.1"},
		{"10.1.2.3", "10.1.2.3"},
		{"0.0.0.0", "0.0.0.0"},
	}
	for _, tt := range tests {
		if got := formatAddr(addr(tt.in)); got != tt.want {
			t.Errorf("formatAddr(%s) = %q, want %q", tt.in, got, tt.want)
		}
		if got := string(AppendAddr([]byte("x"), addr(tt.in))); got != "x"+tt.want {
			t.Errorf("AppendAddr(x, %s) = %q, want %q", tt.in, got, "x"+tt.want)
		}
	}
	if got := formatAddr(netip.Addr{}); got != "" {
		t.Errorf("formatAddr(zero) = %q, want empty", got)
	}
}

func TestAppendIPv4EveryOctet(t *testing.T) {
	// inet_ntop's dotted quad is decimal without leading zeros, as Go's.
	for pos := range 4 {
		for v := range 256 {
			a := [4]byte{1, 20, 255, 0}
			a[pos] = byte(v)
			if got, want := string(AppendIPv4([]byte("x"), a)), "x"+netip.AddrFrom4(a).String(); got != want {
				t.Fatalf("AppendIPv4(%v) = %q, want %q", a, got, want)
			}
		}
	}
}
