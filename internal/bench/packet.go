package bench

import (
	"encoding/binary"
	"net/netip"
)

// TCP header flags, as appendTCPPacket takes them.
const (
	tcpSYN = 0x02
	tcpACK = 0x10
)

// Sizes of the headers appendTCPPacket writes: no options, no payload.
const (
	ipv4HeaderLen = 20
	tcpHeaderLen  = 20
	tcpPacketLen  = ipv4HeaderLen + tcpHeaderLen
)

// appendTCPPacket appends an IPv4 packet holding a bare TCP segment (no
// options, no payload) from src to dst, with both checksums, as a raw
// socket with IP_HDRINCL sends it.
func appendTCPPacket(b []byte, src, dst netip.AddrPort, seq, ack uint32, flags byte) []byte {
	start := len(b)
	s, d := src.Addr().As4(), dst.Addr().As4()
	// IPv4 header: version 4, 5 words; don't fragment; TTL 64.
	b = append(b, 0x45, 0)
	b = binary.BigEndian.AppendUint16(b, tcpPacketLen)
	b = append(b, 0, 0, 0x40, 0, 64, 6 /* TCP */, 0, 0)
	b = append(b, s[:]...)
	b = append(b, d[:]...)
	ip := b[start:]
	binary.BigEndian.PutUint16(ip[10:], checksum(0, ip))

	// TCP header: 5 words, window 65535.
	t := len(b)
	b = binary.BigEndian.AppendUint16(b, src.Port())
	b = binary.BigEndian.AppendUint16(b, dst.Port())
	b = binary.BigEndian.AppendUint32(b, seq)
	b = binary.BigEndian.AppendUint32(b, ack)
	b = append(b, 5<<4, flags, 0xff, 0xff, 0, 0, 0, 0)
	tcp := b[t:]
	binary.BigEndian.PutUint16(tcp[16:], checksum(pseudoHeaderSum(s, d, len(tcp)), tcp))
	return b
}

// pseudoHeaderSum is the unfolded sum of the IPv4 pseudo-header over which
// TCP's checksum is computed (RFC 793, section 3.1).
func pseudoHeaderSum(src, dst [4]byte, tcpLen int) uint32 {
	var sum uint32
	for _, a := range [2][4]byte{src, dst} {
		sum += uint32(a[0])<<8 | uint32(a[1])
		sum += uint32(a[2])<<8 | uint32(a[3])
	}
	return sum + 6 + uint32(tcpLen)
}

// checksum returns the Internet checksum (RFC 1071) of b, starting from
// the unfolded partial sum initial: the one's complement of the one's
// complement sum of b's 16-bit words.
func checksum(initial uint32, b []byte) uint16 {
	sum := initial
	for ; len(b) >= 2; b = b[2:] {
		sum += uint32(b[0])<<8 | uint32(b[1])
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
