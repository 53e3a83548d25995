package ipvstext

import (
	"math"
	"net/netip"
)

// ParseIPv4 parses s (a string or byte slice) as glibc's inet_pton(AF_INET)
// does: exactly four decimal octets separated by dots, each at most 255,
// without leading zeros ("01.2.3.4" is rejected) and without anything
// around them. It differs from inet_aton (InetAton), which also accepts
// "10.1", hex and octal forms.
func ParseIPv4[S ~string | ~[]byte](s S) (netip.Addr, bool) {
	var a [4]byte
	if !parseIPv4(s, &a) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(a), true
}

// ParseIPv6 parses s (a string or byte slice) as glibc's
// inet_pton(AF_INET6) does: up to eight groups of one to four hex digits,
// at most one "::", optionally ending in a dotted quad; no zone, no
// brackets. The result is always a 16-byte address (an IPv4-mapped text
// yields an IPv4-mapped IPv6 address).
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

// parseIPv6 refuses a text with fewer than two colons at once: every
// address has a "::" or seven colons between eight groups, while a text
// with one colon (an IPv4 address with a port, as restore lines give it)
// fills at most 6 bytes (FuzzParseIPv6 holds it to parseIPv6Text).
func parseIPv6[S ~string | ~[]byte](s S, dst *[16]byte) bool {
	colons := 0
	for k := 0; k < len(s) && colons < 2; k++ {
		if s[k] == ':' {
			colons++
		}
	}
	return colons == 2 && parseIPv6Text(s, dst)
}

// parseIPv6Text is inet_pton6.
func parseIPv6Text[S ~string | ~[]byte](s S, dst *[16]byte) bool {
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
		if d := HexDigit(ch); d >= 0 {
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

// InetAton is glibc's inet_aton: one to four parts separated by dots, each
// decimal, octal (leading 0) or hex (0x), the last part filling the
// remaining bytes (a.b.c.d, a.b.c with a 16-bit c, a.b with a 24-bit b, a
// 32-bit a). Anything after the first white-space character is ignored.
// The result is the address as a big-endian number.
func InetAton(s string) (uint32, bool) {
	// A strict dotted quad, the usual text, means the same to inet_aton and
	// parses faster (FuzzInetAton holds InetAton to inetAton).
	var a [4]byte
	if parseIPv4(s, &a) {
		return uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]), true
	}
	return inetAton(s)
}

// inetAton is inet_aton.
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
	if i < len(s) && !IsSpace(s[i]) {
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

// strtoul0 reads an unsigned number as strtoul(s, &end, 0) does for a
// string that starts with a decimal digit: 0x/0X hex, leading 0 octal,
// otherwise decimal. It returns the value, the bytes consumed and whether
// the value exceeds 32 bits (inet_aton rejects those).
func strtoul0(s string) (v uint64, n int, big bool) {
	base := uint64(10)
	i := 0
	if s[0] == '0' {
		if len(s) > 2 && (s[1] == 'x' || s[1] == 'X') && HexDigit(s[2]) >= 0 {
			base, i = 16, 2
		} else {
			base = 8
		}
	}
	for ; i < len(s); i++ {
		var d int
		switch {
		case base == 16:
			d = HexDigit(s[i])
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
