package rule

import "math"

// This file reproduces the C library's number and address parsers that
// ipvsadm relies on (glibc 2.36 behaviour), because Go's own parsers accept
// and reject different texts.

// isCSpace reports whether c is white space for isspace(3) in the C locale.
func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// strtol10 is strtol(s, &end, 10): it skips leading white space, reads an
// optional sign and decimal digits, and returns the value (clamped to the
// int64 range on overflow), the number of bytes consumed (0 when there are
// no digits, as strtol then sets end to s) and whether it overflowed.
func strtol10(s string) (v int64, n int, overflow bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
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

// strtoul0 reads an unsigned number as strtoul(s, &end, 0) does for a
// string that starts with a decimal digit: 0x/0X hex, leading 0 octal,
// otherwise decimal. It returns the value, the bytes consumed and whether
// the value exceeds 32 bits (inet_aton rejects those).
func strtoul0(s string) (v uint64, n int, big bool) {
	base := uint64(10)
	i := 0
	if s[0] == '0' {
		if len(s) > 2 && (s[1] == 'x' || s[1] == 'X') && hexValue(s[2]) >= 0 {
			base, i = 16, 2
		} else {
			base = 8
		}
	}
	for ; i < len(s); i++ {
		var d int
		switch {
		case base == 16:
			d = hexValue(s[i])
		case s[i] >= '0' && s[i] <= '9':
			d = int(s[i] - '0')
		default:
			d = -1
		}
		if d < 0 || uint64(d) >= base {
			break
		}
		if !big {
			v = v*base + uint64(d)
			if v > math.MaxUint32 {
				big = true
			}
		}
	}
	return v, i, big
}

func hexValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// inetAton is glibc's inet_aton: one to four parts separated by dots, each
// decimal, octal (leading 0) or hex (0x), the last part filling the
// remaining bytes (a.b.c.d, a.b.c with a 16-bit c, a.b with a 24-bit b, a
// 32-bit a). Anything after the first white-space character is ignored.
// The result is the address as a big-endian number.
func inetAton(s string) (uint32, bool) {
	var parts [4]uint32
	np := 0
	i := 0
	var val uint64
	for {
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		v, n, big := strtoul0(s[i:])
		if big {
			return 0, false
		}
		val = v
		i += n
		if i < len(s) && s[i] == '.' {
			if np > 2 || val > 0xff {
				return 0, false
			}
			parts[np] = uint32(val)
			np++
			i++
			continue
		}
		break
	}
	if i < len(s) && !isCSpace(s[i]) {
		return 0, false
	}
	max := [4]uint64{0xffffffff, 0xffffff, 0xffff, 0xff}
	if val > max[np] {
		return 0, false
	}
	r := uint32(val)
	for k := 0; k < np; k++ {
		r |= parts[k] << (24 - 8*k)
	}
	return r, true
}

// inetPton4 is glibc's inet_pton(AF_INET): exactly four decimal parts of
// at most 255 without leading zeros.
func inetPton4(s string) ([4]byte, bool) {
	var out [4]byte
	sawDigit := false
	octets := 0
	tp := 0
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= '0' && ch <= '9':
			nv := uint(out[tp])*10 + uint(ch-'0')
			if sawDigit && out[tp] == 0 {
				return out, false
			}
			if nv > 255 {
				return out, false
			}
			out[tp] = byte(nv)
			if !sawDigit {
				octets++
				if octets > 4 {
					return out, false
				}
				sawDigit = true
			}
		case ch == '.' && sawDigit:
			if octets == 4 {
				return out, false
			}
			tp++
			out[tp] = 0
			sawDigit = false
		default:
			return out, false
		}
	}
	if octets < 4 {
		return out, false
	}
	return out, true
}

// inetPton6 is glibc's inet_pton(AF_INET6), including its rules for "::",
// at most four hex digits a group and a trailing dotted quad.
func inetPton6(s string) ([16]byte, bool) {
	var tmp [16]byte
	tp := 0
	colonp := -1
	if len(s) == 0 {
		return tmp, false
	}
	i := 0
	if s[0] == ':' {
		i++
		if i == len(s) || s[i] != ':' {
			return tmp, false
		}
	}
	curtok := i
	xdigits := 0
	val := 0
	for i < len(s) {
		ch := s[i]
		i++
		if d := hexValue(ch); d >= 0 {
			if xdigits == 4 {
				return tmp, false
			}
			val = val<<4 | d
			xdigits++
			continue
		}
		if ch == ':' {
			curtok = i
			if xdigits == 0 {
				if colonp >= 0 {
					return tmp, false
				}
				colonp = tp
				continue
			} else if i == len(s) {
				return tmp, false
			}
			if tp+2 > 16 {
				return tmp, false
			}
			tmp[tp], tmp[tp+1] = byte(val>>8), byte(val)
			tp += 2
			xdigits, val = 0, 0
			continue
		}
		if ch == '.' && tp+4 <= 16 {
			if v4, ok := inetPton4(s[curtok:]); ok {
				copy(tmp[tp:], v4[:])
				tp += 4
				xdigits = 0
				break
			}
		}
		return tmp, false
	}
	if xdigits > 0 {
		if tp+2 > 16 {
			return tmp, false
		}
		tmp[tp], tmp[tp+1] = byte(val>>8), byte(val)
		tp += 2
	}
	if colonp >= 0 {
		if tp == 16 {
			return tmp, false
		}
		n := tp - colonp
		copy(tmp[16-n:], tmp[colonp:tp])
		for k := colonp; k < 16-n; k++ {
			tmp[k] = 0
		}
		tp = 16
	}
	if tp != 16 {
		return tmp, false
	}
	return tmp, true
}
