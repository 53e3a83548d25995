package rule

import (
	"math"
	"net/netip"
	"testing"
)

func TestStringToNumber(t *testing.T) {
	for _, tc := range []struct {
		in string
		v  int64
		ok bool
	}{
		{"5", 5, true}, {"+5", 5, true}, {" 5", 5, true}, {"\t\n5", 5, true}, {"010", 10, true}, {"-0", 0, true},
		{"5 ", 0, false}, {"0x10", 0, false}, {"", 0, false}, {"-", 0, false}, {" ", 0, false}, {"+-5", 0, false},
		{"2147483647", 2147483647, true}, {"2147483648", 0, false}, {"-1", 0, false},
		{"9223372036854775807", 0, false}, {"99999999999999999999999", 0, false},
	} {
		v, ok := stringToNumber(tc.in, 0, math.MaxInt32)
		if v != tc.v || ok != tc.ok {
			t.Errorf("stringToNumber(%q) = %d, %v; want %d, %v", tc.in, v, ok, tc.v, tc.ok)
		}
	}
	if v, _, of := strtol10("-9223372036854775808"); v != math.MinInt64 || of {
		t.Errorf("strtol10(min) = %d, %v", v, of)
	}
	if v, _, of := strtol10("-9223372036854775809"); v != math.MinInt64 || !of {
		t.Errorf("strtol10(min-1) = %d, %v", v, of)
	}
}

func TestAtoi(t *testing.T) {
	for in, want := range map[string]int32{
		"64": 64, "64abc": 64, "abc": 0, " -3x": -3, "4294967360": 64, "99999999999999999999": -1, "": 0,
	} {
		if got := atoi(in); got != want {
			t.Errorf("atoi(%q) = %d, want %d", in, got, want)
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
		v, ok := inetAton(in)
		got := ""
		if ok {
			got = netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
		}
		if got != want {
			t.Errorf("inetAton(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInetPton(t *testing.T) {
	for in, ok := range map[string]bool{
		"::": true, "::1": true, "1::": true, "1:2:3:4:5:6:7:8": true, "::ffff:1.2.3.4": true, "1:2:3:4:5:6:1.2.3.4": true,
		"2001:db8::1:80": true, "0000::1": true,
		":": false, ":1": false, "1:": false, "1:::2": false, "1::2::3": false, "00000::1": false, "1:2:3:4:5:6:7:8:9": false,
		"1:2:3:4:5:6:7::8": false, "::1.2.3": false, "::01.2.3.4": false, "::1.2.3.4:5": false, "fe80::1%eth0": false,
		"1.2.3.4": false, "": false, "[::1]": false, "1:2:3:4:5:6:7:1.2.3.4": false, "1::2:3:4:5:6:7:8": false,
	} {
		b, got := inetPton6(in)
		if got != ok {
			t.Errorf("inetPton6(%q) = %v, want %v", in, got, ok)
			continue
		}
		if ok {
			if std, err := netip.ParseAddr(in); err == nil && std.As16() != b {
				t.Errorf("inetPton6(%q) = %x, want %x", in, b, std.As16())
			}
		}
	}
	for in, ok := range map[string]bool{"224.0.0.1": true, "0.0.0.0": true, "1.2.3": false, "01.2.3.4": false, "1.2.3.4.": false, "256.0.0.0": false, "1.2.3.4.5": false} {
		if _, got := inetPton4(in); got != ok {
			t.Errorf("inetPton4(%q) = %v, want %v", in, got, ok)
		}
	}
}
