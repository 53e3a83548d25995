package ipvstext

import (
	"net/netip"
	"testing"
)

// FuzzParseIPv6 checks inet_pton's IPv6 form against Go's parser: what we
// accept Go must read as the same address (Go also takes zones, which
// inet_pton does not), and the glibc text of it must parse back to it. The
// quick refusal of texts with fewer than two colons must agree with the
// full parse.
func FuzzParseIPv6(f *testing.F) {
	for _, s := range []string{"::", "::1", "2001:db8::1", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8", "1::2::3", "::1.2.3", "fe80::1%eth0", "0001:2::", "10.1.1.1:80", "1:2.3.4.5", "a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := ParseIPv6(s)
		var full [16]byte
		if fullOK := parseIPv6Text(s, &full); fullOK != ok || (ok && full != a.As16()) {
			t.Fatalf("ParseIPv6(%q) = %v, %v; the full parse gives %v, %v", s, a, ok, netip.AddrFrom16(full), fullOK)
		}
		if !ok {
			return
		}
		g, err := netip.ParseAddr(s)
		if err != nil || !g.Is6() || g.Zone() != "" || g.Unmap() != a.Unmap() || g.As16() != a.As16() {
			t.Fatalf("ParseIPv6(%q) = %v, but Go reads %v, %v", s, a, g, err)
		}
		text := formatAddr(a)
		back, ok := ParseIPv6(text)
		if !ok || back.As16() != a.As16() {
			t.Fatalf("formatAddr(%v) = %q, which parses back as %v, %v", a, text, back, ok)
		}
	})
}

// FuzzParseIPv4 checks inet_pton's IPv4 form against Go's parser and
// inet_aton: a strict dotted quad means the same address to all three.
func FuzzParseIPv4(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "255.255.255.255", "01.2.3.4", "1.2.3", "1.2.3.4.5", "256.1.1.1", "0x7f.0.0.1", " 1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := ParseIPv4(s)
		aton, atonOK := inetAton(s)
		if !ok {
			return
		}
		g, err := netip.ParseAddr(s)
		if err != nil || g != a {
			t.Fatalf("ParseIPv4(%q) = %v, but Go reads %v, %v", s, a, g, err)
		}
		b := a.As4()
		if want := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]); !atonOK || aton != want {
			t.Fatalf("InetAton(%q) = %#x, %v; inet_pton says %v", s, aton, atonOK, a)
		}
		if formatAddr(a) != s {
			t.Fatalf("formatAddr(%v) = %q, want %q", a, formatAddr(a), s)
		}
	})
}

// FuzzInetAton feeds inet_aton anything: it must not panic, what it
// accepts starts with a digit (C's inet_aton takes no leading blanks), and
// InetAton's quick path for dotted quads agrees with it.
func FuzzInetAton(f *testing.F) {
	for _, s := range []string{"10.1", "0x7f000001", "010.0.0.1", "1.2.3.4 junk", "4294967296", "1.2.3.256", "", "10.0.0.1", "0.0.0.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := InetAton(s)
		if ok && (s == "" || s[0] < '0' || s[0] > '9') {
			t.Fatalf("InetAton accepted %q", s)
		}
		if full, fullOK := inetAton(s); a != full || ok != fullOK {
			t.Fatalf("InetAton(%q) = %#x, %v; inet_aton gives %#x, %v", s, a, ok, full, fullOK)
		}
	})
}

// FuzzFormatAddr checks that the glibc text of any IPv6 address reads back
// as that address, with our parser and with Go's.
func FuzzFormatAddr(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4})
	f.Add([]byte{0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) != 16 {
			return
		}
		a := netip.AddrFrom16([16]byte(b))
		text := formatAddr(a)
		back, ok := ParseIPv6(text)
		g, err := netip.ParseAddr(text)
		if !ok || back.As16() != a.As16() || err != nil || g.As16() != a.As16() {
			t.Fatalf("formatAddr(%x) = %q: ours %v %v, Go's %v %v", b, text, back, ok, g, err)
		}
	})
}
