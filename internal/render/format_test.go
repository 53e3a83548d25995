package render

import (
	"strings"
	"testing"
)

func TestPadWidths(t *testing.T) {
	// printf's "%-*s" and "%*llu" for widths below, at and above the
	// length of blanks (what padding is appended from).
	for _, width := range []int{0, 1, 5, len(blanks) - 1, len(blanks), len(blanks) + 1, 3*len(blanks) + 7} {
		for _, s := range []string{"", "x", "10.0.0.1:80", strings.Repeat("y", 40)} {
			want := s + strings.Repeat(" ", max(0, width-len(s)))
			if got := string(Pad([]byte("> "+s), 2, width)); got != "> "+want {
				t.Errorf("Pad(%q, %d) = %q, want %q", s, width, got[2:], want)
			}
		}
		want := strings.Repeat(" ", max(0, width-5)) + "12345"
		if got := string(appendRightUint([]byte("> "), 12345, width)); got != "> "+want {
			t.Errorf("appendRightUint(12345, %d) = %q, want %q", width, got[2:], want)
		}
	}
}
