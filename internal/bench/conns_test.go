package bench

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"testing/iotest"
)

// The example of RFC 1071, section 3: the words 0001 f203 f4f5 f6f7 sum
// to ddf2, whose complement is the checksum.
func TestChecksumRFC1071(t *testing.T) {
	if got := checksum(0, []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}); got != ^uint16(0xddf2) {
		t.Errorf("checksum = %#04x, want %#04x", got, ^uint16(0xddf2))
	}
	// An odd length pads with a zero byte.
	if got, want := checksum(0, []byte{0x12, 0x34, 0x56}), checksum(0, []byte{0x12, 0x34, 0x56, 0}); got != want {
		t.Errorf("odd length: %#04x, want %#04x", got, want)
	}
}

func TestAppendTCPPacket(t *testing.T) {
	src := netip.MustParseAddrPort("198.18.0.1:10000")
	dst := netip.MustParseAddrPort("10.0.0.1:80")
	prefix := []byte{0xaa}
	b := appendTCPPacket(prefix, src, dst, 7, 9, tcpACK)
	if len(b) != 1+tcpPacketLen || b[0] != 0xaa {
		t.Fatalf("appended %d bytes after the prefix, want %d", len(b)-1, tcpPacketLen)
	}
	ip, tcp := b[1:1+ipv4HeaderLen], b[1+ipv4HeaderLen:]
	if ip[0] != 0x45 || binary.BigEndian.Uint16(ip[2:]) != tcpPacketLen || ip[9] != 6 ||
		netip.AddrFrom4([4]byte(ip[12:16])) != src.Addr() || netip.AddrFrom4([4]byte(ip[16:20])) != dst.Addr() {
		t.Errorf("IPv4 header % x", ip)
	}
	// A correct checksum makes the sum over the covered bytes, checksum
	// included, all ones, so that checksumming them again gives zero.
	if c := checksum(0, ip); c != 0 {
		t.Errorf("IPv4 header checksum does not verify (%#04x)", c)
	}
	if c := checksum(pseudoHeaderSum(src.Addr().As4(), dst.Addr().As4(), len(tcp)), tcp); c != 0 {
		t.Errorf("TCP checksum does not verify (%#04x)", c)
	}
	if binary.BigEndian.Uint16(tcp) != 10000 || binary.BigEndian.Uint16(tcp[2:]) != 80 ||
		binary.BigEndian.Uint32(tcp[4:]) != 7 || binary.BigEndian.Uint32(tcp[8:]) != 9 ||
		tcp[12] != 5<<4 || tcp[13] != tcpACK {
		t.Errorf("TCP header % x", tcp)
	}
	// Another flag changes the TCP checksum, not the IPv4 header.
	syn := appendTCPPacket(nil, src, dst, 7, 9, tcpSYN)
	if string(syn[:ipv4HeaderLen]) != string(ip) || string(syn[ipv4HeaderLen:]) == string(tcp) {
		t.Error("SYN and ACK differ in the wrong place")
	}
}

func TestConnClientsDistinct(t *testing.T) {
	seen := make(map[netip.AddrPort]bool, MaxConns)
	for i := range MaxConns {
		c := connClient(i)
		if seen[c] || !netip.MustParsePrefix("198.18.0.0/15").Contains(c.Addr()) || c.Port() < 10000 {
			t.Fatalf("client %d: %s repeated or out of range", i, c)
		}
		seen[c] = true
	}
	if got := connClient(0).String(); got != "198.18.0.1:10000" {
		t.Errorf("first client %s", got)
	}
}

func TestCheckConnListing(t *testing.T) {
	const header = "IPVS connection entries\npro expire state       source             virtual            destination\n"
	row := "TCP 14:59  ESTABLISHED 198.18.0.1:10000   10.0.0.1:80        172.16.0.1:80\n"
	if err := checkConnListing([]byte(header+row+row), nil, 2); err != nil {
		t.Error(err)
	}
	for name, out := range map[string]string{
		"one row short":   header + row,
		"a row too many":  header + row + row + row,
		"not established": header + row + strings.Replace(row, "ESTABLISHED", "SYN_RECV   ", 1),
		"no header":       row + row + row + row,
	} {
		if err := checkConnListing([]byte(out), nil, 2); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestCountReads(t *testing.T) {
	text := "header\n" + strings.Repeat("a line of text\n", 1000)
	got, err := countReads(iotest.HalfReader(strings.NewReader(text)), make([]byte, 4096))
	if err != nil {
		t.Fatal(err)
	}
	if got.Bytes != len(text) || got.Lines != 1001 || got.Largest != 2048 || got.Reads < len(text)/2048 {
		t.Errorf("got %+v for %d bytes read half a buffer at a time", got, len(text))
	}
	if _, err := countReads(iotest.ErrReader(iotest.ErrTimeout), make([]byte, 16)); err != iotest.ErrTimeout {
		t.Errorf("read error: %v", err)
	}
}

func TestFloorOutputRoundTrip(t *testing.T) {
	for _, o := range []FloorOutput{
		{Kernel: 1.5},
		{Kernel: 33.8, Conns: ReaderOutput{Reads: 1614, Bytes: 6600066, Lines: 100001, Largest: 4092}},
	} {
		got, err := ParseFloorOutput([]byte(o.String()))
		if err != nil || got != o {
			t.Errorf("ParseFloorOutput(%q) = %+v, %v; want %+v", o.String(), got, err, o)
		}
	}
	for _, bad := range []string{"", "kernel_s=x\n", "kernel_s=1.5 reads=1\n"} {
		if _, err := ParseFloorOutput([]byte(bad)); err == nil {
			t.Errorf("ParseFloorOutput(%q): no error", bad)
		}
	}
}
