package ipvstext

import (
	"slices"
	"testing"
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

func TestNextField(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" \t\r\n\v\f", nil},
		{"a", []string{"a"}},
		{"  TCP  0A000001:0050 rr \n", []string{"TCP", "0A000001:0050", "rr"}},
		{"x\ty\u00a0z", []string{"x", "y\u00a0z"}}, // C locale: only ASCII white space splits
	} {
		var got []string
		for i, j := NextField(tc.in, 0); i < j; i, j = NextField(tc.in, j) {
			got = append(got, tc.in[i:j])
		}
		var gotBytes []string
		b := []byte(tc.in)
		for i, j := NextField(b, 0); i < j; i, j = NextField(b, j) {
			gotBytes = append(gotBytes, string(b[i:j]))
		}
		if !slices.Equal(got, tc.want) || !slices.Equal(gotBytes, tc.want) {
			t.Errorf("fields of %q: %q (string), %q (bytes), want %q", tc.in, got, gotBytes, tc.want)
		}
	}
}
