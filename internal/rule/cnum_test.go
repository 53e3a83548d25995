package rule

import (
	"math"
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
