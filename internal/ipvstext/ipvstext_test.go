package ipvstext

import (
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

func TestCharClasses(t *testing.T) {
	for c := 0; c < 256; c++ {
		wantSpace := c == ' ' || (c >= '\t' && c <= '\r') // isspace in the C locale
		if got := IsSpace(byte(c)); got != wantSpace {
			t.Errorf("IsSpace(%#x) = %v", c, got)
		}
	}
	for in, want := range map[byte]int{'0': 0, '9': 9, 'a': 10, 'F': 15, 'g': -1, 'x': -1, ' ': -1, 0: -1} {
		if got := HexDigit(in); got != want {
			t.Errorf("HexDigit(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestServiceProto(t *testing.T) {
	for p, want := range map[ipvs.Protocol]string{ipvs.TCP: "tcp", ipvs.UDP: "udp", ipvs.SCTP: "sctp", 0: "", 1: ""} {
		if got := ServiceProto(p); got != want {
			t.Errorf("ServiceProto(%d) = %q, want %q", p, got, want)
		}
	}
}
