package connections

import "github.com/ipvsadm-go/ipvsadm/internal/ipvstext"

// scanner reads the conversions of C's sscanf, in the C locale, from a
// byte slice.
type scanner struct {
	s []byte
	i int
}

// skip skips white space and reports whether input remains (false is an
// input failure).
func (sc *scanner) skip() bool {
	for sc.i < len(sc.s) && ipvstext.IsSpace(sc.s[sc.i]) {
		sc.i++
	}
	return sc.i < len(sc.s)
}

// str is %s: a run of non-white-space bytes.
func (sc *scanner) str() ([]byte, bool) {
	if !sc.skip() {
		return nil, false
	}
	start := sc.i
	for sc.i < len(sc.s) && !ipvstext.IsSpace(sc.s[sc.i]) {
		sc.i++
	}
	return sc.s[start:sc.i], true
}

// number reads what glibc's scanf reads for an integer conversion: an
// optional sign, for base 16 an optional 0x/0X after a leading 0, then
// digits. It returns the magnitude saturated at 2^64-1 (with overflow set),
// the sign, and false on a matching failure (no digits).
func (sc *scanner) number(base uint64) (mag uint64, neg, overflow, ok bool) {
	if !sc.skip() {
		return 0, false, false, false
	}
	if c := sc.s[sc.i]; c == '+' || c == '-' {
		neg = c == '-'
		sc.i++
	}
	digits := 0
	if base == 16 && sc.i < len(sc.s) && sc.s[sc.i] == '0' {
		sc.i++
		digits++
		if sc.i < len(sc.s) && (sc.s[sc.i] == 'x' || sc.s[sc.i] == 'X') {
			sc.i++
		}
	}
	for sc.i < len(sc.s) {
		h := ipvstext.HexDigit(sc.s[sc.i])
		if h < 0 || uint64(h) >= base {
			break
		}
		d := uint64(h)
		sc.i++
		digits++
		if !overflow {
			if mag > (^uint64(0)-d)/base {
				overflow = true
				mag = ^uint64(0)
			} else {
				mag = mag*base + d
			}
		}
	}
	return mag, neg, overflow, digits > 0
}

// hex16 is %hX: strtoul's value (negated for a minus sign, 2^64-1 on
// overflow) cut to 16 bits.
func (sc *scanner) hex16() (uint16, bool) {
	mag, neg, overflow, ok := sc.number(16)
	if !ok {
		return 0, false
	}
	if neg && !overflow {
		mag = -mag
	}
	return uint16(mag), true
}

// dec32 is %d into the original's unsigned int: strtol's value (saturated
// at the int64 limits) cut to 32 bits.
func (sc *scanner) dec32() (uint32, bool) {
	mag, neg, overflow, ok := sc.number(10)
	if !ok {
		return 0, false
	}
	var v int64
	switch {
	case !neg && (overflow || mag > 1<<63-1):
		v = 1<<63 - 1
	case neg && (overflow || mag > 1<<63):
		v = -1 << 63
	case neg:
		v = -int64(mag)
	default:
		v = int64(mag)
	}
	return uint32(v), true
}

// strtoul16 is strtoul(tok, NULL, 16) for a token without white space:
// optional sign, optional 0x, hex digits up to the first other byte; 0 if
// there are none; 2^64-1 on overflow; negated for a minus sign.
func strtoul16(tok []byte) uint64 {
	sc := scanner{s: tok}
	mag, neg, overflow, ok := sc.number(16)
	if !ok {
		return 0
	}
	if neg && !overflow {
		mag = -mag
	}
	return mag
}
