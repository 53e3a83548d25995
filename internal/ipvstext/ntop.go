package ipvstext

import (
	"net/netip"
	"strconv"
)

// AppendAddr appends glibc inet_ntop's text for addr to b (names.cases
// and services.cases compare it with the real binary): dotted quad for
// IPv4 (Is4); for IPv6 (including IPv4-mapped) lowercase hex groups
// without leading zeros, the first longest run of two or more zero groups
// written as "::", and a trailing dotted quad when that run starts at
// group 0 and is 6 groups long, or 5 groups long followed by ffff. Zones
// are ignored. The zero Addr appends nothing.
func AppendAddr(b []byte, addr netip.Addr) []byte {
	switch {
	case addr.Is4():
		return AppendIPv4(b, addr.As4())
	case addr.IsValid():
		return appendIPv6(b, addr.As16())
	}
	return b
}

// AppendIPv4 appends a as a dotted quad.
func AppendIPv4(b []byte, a [4]byte) []byte {
	for i, x := range a {
		if i > 0 {
			b = append(b, '.')
		}
		switch {
		case x >= 100:
			b = append(b, '0'+x/100, '0'+x/10%10)
		case x >= 10:
			b = append(b, '0'+x/10)
		}
		b = append(b, '0'+x%10)
	}
	return b
}

func appendIPv6(b []byte, a [16]byte) []byte {
	var w [8]uint16
	for i := range w {
		w[i] = uint16(a[2*i])<<8 | uint16(a[2*i+1])
	}
	bestBase, bestLen := -1, 0
	curBase, curLen := -1, 0
	for i := 0; i < 8; i++ {
		if w[i] == 0 {
			if curBase == -1 {
				curBase, curLen = i, 1
			} else {
				curLen++
			}
		} else if curBase != -1 {
			if bestBase == -1 || curLen > bestLen {
				bestBase, bestLen = curBase, curLen
			}
			curBase = -1
		}
	}
	if curBase != -1 && (bestBase == -1 || curLen > bestLen) {
		bestBase, bestLen = curBase, curLen
	}
	if bestBase != -1 && bestLen < 2 {
		bestBase = -1
	}
	for i := 0; i < 8; i++ {
		if bestBase != -1 && i >= bestBase && i < bestBase+bestLen {
			if i == bestBase {
				b = append(b, ':')
			}
			continue
		}
		if i != 0 {
			b = append(b, ':')
		}
		if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
			return AppendIPv4(b, [4]byte{a[12], a[13], a[14], a[15]})
		}
		b = strconv.AppendUint(b, uint64(w[i]), 16)
	}
	if bestBase != -1 && bestBase+bestLen == 8 {
		b = append(b, ':')
	}
	return b
}
