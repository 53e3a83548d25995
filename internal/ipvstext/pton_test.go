package ipvstext

import (
	"net/netip"
	"testing"
)

var addr = netip.MustParseAddr

func TestParseIPv4(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" = invalid
	}{
		{"1.2.3.4", "1.2.3.4"},
		{"0.0.0.0", "0.0.0.0"},
		{"224.0.0.1", "224.0.0.1"},
		{"255.255.255.255", "255.255.255.255"},
		{"256.1.1.1", ""},
		{"256.0.0.0", ""},
		{"01.2.3.4", ""},
		{"1.2.3", ""},
		{"1.2.3.4.5", ""},
		{"1.2.3.", ""},
		{"1.2.3.4.", ""},
		{".1.2.3", ""},
		{"1..2.3", ""},
		{"0x1.2.3.4", ""},
		{" 1.2.3.4", ""},
		{"1.2.3.4 ", ""},
		{"", ""},
		{"10.0.0.1", "10.0.0.1"},
	}
	for _, tt := range tests {
		got, ok := ParseIPv4(tt.in)
		if tt.want == "" {
			if ok {
				t.Errorf("ParseIPv4(%q) = %v, want invalid", tt.in, got)
			}
			continue
		}
		if !ok || got != addr(tt.want) {
			t.Errorf("ParseIPv4(%q) = %v, %v; want %s", tt.in, got, ok, tt.want)
		}
		if b, ok := ParseIPv4([]byte(tt.in)); !ok || b != got {
			t.Errorf("ParseIPv4([]byte %q) differs", tt.in)
		}
	}
}

func TestParseIPv6(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" = invalid
	}{
		{"::", "::"},
		{"::1", "::1"},
		{"1::", "1::"},
		{"0000::1", "::1"},
		{"2001:0db8:0000:0000:0000:0000:0000:0009", "2001:db8::9"},
		{"2001:DB8::1", "2001:db8::1"},
		{"2001:db8::1:80", "2001:db8::1:80"},
		{"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
		{"::1.2.3.4", "::102:304"},
		{"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
		{"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
		{"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
		{"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
		{"1:2:3:4:5:6:7:8:9", ""},
		{"1:2:3:4:5:6:7", ""},
		{"1:2:3:4:5:6:7::8", ""},
		{"1::2:3:4:5:6:7:8", ""},
		{"1::2::3", ""},
		{":1::2", ""},
		{":1", ""},
		{"1:", ""},
		{"1:::2", ""},
		{"12345::", ""},
		{"00000::1", ""},
		{"fe80::1%eth0", ""},
		{"[::1]", ""},
		{"::1.2.3", ""},
		{"::01.2.3.4", ""},
		{"::1.2.3.4:5", ""},
		{"1:2:3:4:5:6:7:1.2.3.4", ""},
		{"1.2.3.4", ""},
		{"0A090001", ""},
		{"", ""},
		{":", ""},
		{"1:2:3:4:5:6:7:8::", ""},
	}
	for _, tt := range tests {
		got, ok := ParseIPv6(tt.in)
		if tt.want == "" {
			if ok {
				t.Errorf("ParseIPv6(%q) = %v, want invalid", tt.in, got)
			}
			continue
		}
		if !ok || got != addr(tt.want) {
			t.Errorf("ParseIPv6(%q) = %v, %v; want %s", tt.in, got, ok, tt.want)
		}
		if !got.Is6() {
			t.Errorf("ParseIPv6(%q) is not a 16-byte address", tt.in)
		}
		if std, err := netip.ParseAddr(tt.in); err == nil && std.As16() != got.As16() {
			t.Errorf("ParseIPv6(%q) = %v, net/netip reads %v", tt.in, got, std)
		}
	}
}

func TestInetAton(t *testing.T) {
	for in, want := range map[string]string{
		"1.2.3.4": "1.2.3.4", "010.0.0.1": "8.0.0.1", "10.1": "10.0.0.1", "0x7f000001": "127.0.0.1",
		"16909060": "1.2.3.4", "1.2.3": "1.2.0.3", "1.2.65535": "1.2.255.255", "0X7F.1": "127.0.0.1",
		"1.2.3.4 junk": "1.2.3.4", "1.2.3.4\tx": "1.2.3.4", "4294967295": "255.255.255.255", "0": "0.0.0.0",
		"0x": "", "1.2.3.4.5": "", "1..2": "", "1.2.3.": "", "256.1.1.1": "", "1.2.65536": "", "4294967296": "",
		"08": "", "-1": "", " 1.2.3.4": "", "1.2.3.4x": "", "": "", "a.b.c.d": "", "0xg": "", "1.2.3.0x100": "",
	} {
		v, ok := InetAton(in)
		got := ""
		if ok {
			got = netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
		}
		if got != want {
			t.Errorf("InetAton(%q) = %q, want %q", in, got, want)
		}
	}
}
