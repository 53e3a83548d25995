package rule

import (
	"math"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvstext"
)

// This file reproduces the C library's number parsers that ipvsadm relies
// on (glibc 2.36 behaviour), because Go's own parsers accept and reject
// different texts. The address parsers are in package ipvstext.

// strtol10 is strtol(s, &end, 10): it skips leading white space, reads an
// optional sign and decimal digits, and returns the value (clamped to the
// int64 range on overflow), the number of bytes consumed (0 when there are
// no digits, as strtol then sets end to s) and whether it overflowed.
func strtol10(s string) (v int64, n int, overflow bool) {
	i := 0
	for i < len(s) && ipvstext.IsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var u uint64
	const limit = uint64(math.MaxInt64) + 1
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		d := uint64(s[i] - '0')
		if !overflow {
			if u > (limit-d)/10 {
				overflow = true
			} else {
				u = u*10 + d
			}
		}
		i++
	}
	if i == start {
		return 0, 0, false
	}
	switch {
	case overflow:
		if neg {
			return math.MinInt64, i, true
		}
		return math.MaxInt64, i, true
	case neg:
		return -int64(u-1) - 1, i, false // u <= 1<<63
	case u > math.MaxInt64:
		return math.MaxInt64, i, true
	}
	return int64(u), i, false
}

// stringToNumber is ipvsadm's string_to_number: strtol in base 10 that
// must consume the whole string without overflow, and a range check.
func stringToNumber(s string, min, max int64) (int64, bool) {
	v, n, overflow := strtol10(s)
	if n == 0 || n != len(s) || overflow || v < min || v > max {
		return 0, false
	}
	return v, true
}

// atoi is glibc's atoi: (int)strtol(s, NULL, 10), trailing text ignored.
func atoi(s string) int32 {
	v, _, _ := strtol10(s)
	return int32(v) // C's conversion to int keeps the low 32 bits
}

// isDigitString is ipvsadm's str_is_digit: true for the empty string and
// for strings made only of ASCII digits.
func isDigitString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
