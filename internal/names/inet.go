package names

import "net/netip"

// ParseIPv4 parses s (a string or byte slice) as glibc's inet_pton(AF_INET) does: exactly four
// decimal octets separated by dots, each at most 255, without leading zeros
// ("01.2.3.4" is rejected) and without anything around them. It differs from
// inet_aton, which also accepts "10.1", hex and octal forms.
func ParseIPv4[S ~string | ~[]byte](s S) (netip.Addr, bool) {
	var a [4]byte
	if !parseIPv4(s, &a) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(a), true
}

// ParseIPv6 parses s (a string or byte slice) as glibc's inet_pton(AF_INET6) does: up to eight groups
// of one to four hex digits, at most one "::", optionally ending in a dotted
// quad; no zone, no brackets. The result is always a 16-byte address (an
// IPv4-mapped text yields an IPv4-mapped IPv6 address).
func ParseIPv6[S ~string | ~[]byte](s S) (netip.Addr, bool) {
	var a [16]byte
	if !parseIPv6(s, &a) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom16(a), true
}

func parseIPv4[S ~string | ~[]byte](s S, dst *[4]byte) bool {
	var tmp [4]byte
	sawDigit := false
	octets := 0
	i := 0 // index of the octet being written
	for k := 0; k < len(s); k++ {
		ch := s[k]
		switch {
		case ch >= '0' && ch <= '9':
			v := uint(tmp[i])*10 + uint(ch-'0')
			if sawDigit && tmp[i] == 0 {
				return false // leading zero
			}
			if v > 255 {
				return false
			}
			tmp[i] = byte(v)
			if !sawDigit {
				octets++
				if octets > 4 {
					return false
				}
				sawDigit = true
			}
		case ch == '.' && sawDigit:
			if octets == 4 {
				return false
			}
			i++
			tmp[i] = 0
			sawDigit = false
		default:
			return false
		}
	}
	if octets < 4 {
		return false
	}
	*dst = tmp
	return true
}

func hexDigit(c byte) int {
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

func parseIPv6[S ~string | ~[]byte](s S, dst *[16]byte) bool {
	var tmp [16]byte
	tp := 0
	colonp := -1
	if len(s) == 0 {
		return false
	}
	k := 0
	if s[0] == ':' {
		k++
		if k == len(s) || s[k] != ':' {
			return false
		}
	}
	curtok := k
	xdigits := 0
	val := 0
	for k < len(s) {
		ch := s[k]
		k++
		if d := hexDigit(ch); d >= 0 {
			if xdigits == 4 {
				return false
			}
			val = val<<4 | d
			xdigits++
			continue
		}
		if ch == ':' {
			curtok = k
			if xdigits == 0 {
				if colonp >= 0 {
					return false
				}
				colonp = tp
				continue
			} else if k == len(s) {
				return false
			}
			if tp+2 > 16 {
				return false
			}
			tmp[tp] = byte(val >> 8)
			tmp[tp+1] = byte(val)
			tp += 2
			xdigits = 0
			val = 0
			continue
		}
		if ch == '.' && tp+4 <= 16 {
			var q [4]byte
			if parseIPv4(s[curtok:], &q) {
				copy(tmp[tp:], q[:])
				tp += 4
				xdigits = 0
				break
			}
		}
		return false
	}
	if xdigits > 0 {
		if tp+2 > 16 {
			return false
		}
		tmp[tp] = byte(val >> 8)
		tmp[tp+1] = byte(val)
		tp += 2
	}
	if colonp >= 0 {
		if tp == 16 {
			return false
		}
		n := tp - colonp
		copy(tmp[16-n:], tmp[colonp:tp])
		for i := colonp; i < 16-n; i++ {
			tmp[i] = 0
		}
		tp = 16
	}
	if tp != 16 {
		return false
	}
	*dst = tmp
	return true
}
