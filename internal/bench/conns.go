package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/connections"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// MaxConns bounds the number of connection entries the conns operation
// makes: clients come from 198.18.0.0/15 (the benchmarking range of RFC
// 2544), clientsPerAddr ports on each address.
const MaxConns = 1_000_000

// clientsPerAddr is how many client ports (from 10000 up) each client
// address gets.
const clientsPerAddr = 50_000

// connClient returns the address and port of the i-th client.
func connClient(i int) netip.AddrPort {
	return netip.AddrPortFrom(ipv4(198<<24|18<<16+uint32(i/clientsPerAddr)+1), uint16(10000+i%clientsPerAddr))
}

// MakeConnections makes n IPVS connection entries for the TCP service vip
// inside ns, whose address must be local there. From one raw socket
// (IP_HDRINCL, so that no socket is held per connection) it sends each
// client's SYN, then its ACK, to vip: IPVS schedules the SYN to a
// destination and makes the entry (SYN_RECV), and the ACK moves it to
// ESTABLISHED, whose kernel timeout is 15 minutes; IPVS does both at the
// local output hook. Nothing answers, and nothing can leave the
// namespace: it has only lo, and no route to any destination or client.
func MakeConnections(ns *NetNS, vip netip.AddrPort, n int) error {
	if n < 1 || n > MaxConns {
		return fmt.Errorf("making connections: %d asked, want 1 to %d", n, MaxConns)
	}
	var fd int
	err := ns.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
		return err
	})
	if err != nil {
		return fmt.Errorf("making connections: raw socket: %w", err)
	}
	defer unix.Close(fd)
	to := &unix.SockaddrInet4{Addr: vip.Addr().As4()}
	pkt := make([]byte, 0, tcpPacketLen)
	for i := range n {
		client := connClient(i)
		const iss = 1 // the client's initial sequence number
		for _, seg := range [2]struct {
			seq, ack uint32
			flags    byte
		}{{iss, 0, tcpSYN}, {iss + 1, 1, tcpACK}} {
			pkt = appendTCPPacket(pkt[:0], client, vip, seg.seq, seg.ack, seg.flags)
			if err := unix.Sendto(fd, pkt, 0, to); err != nil {
				return fmt.Errorf("making connections: sending to %s from %s (connection %d of %d): %w", vip, client, i+1, n, err)
			}
		}
	}
	return nil
}

// addLocalAddress gives lo the address a/32 inside ns, with busybox ip.
func addLocalAddress(busybox string, ns *NetNS, a netip.Addr) error {
	cmd := exec.Command(busybox, "ip", "addr", "add", a.String()+"/32", "dev", "lo")
	cmd.Env = childEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := ns.Run(cmd); err != nil {
		return fmt.Errorf("adding %s to lo: %w: %s", a, err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

// checkConnections returns nil if the destinations of the service key
// hold exactly n connections, active and inactive (the kernel counts a
// local client's connection as active from its first packet).
func checkConnections(c *ipvs.Client, key ipvs.ServiceKey, n int) error {
	dests, err := c.Destinations(key)
	if err != nil {
		return fmt.Errorf("counting connections: %w", err)
	}
	var active, inactive int
	for _, d := range dests {
		active += int(d.ActiveConns)
		inactive += int(d.InactiveConns)
	}
	if active+inactive != n {
		return fmt.Errorf("the destinations of %s hold %d active and %d inactive connections, want %d in all",
			serviceID(key), active, inactive, n)
	}
	return nil
}

// checkConnListing checks an "ipvsadm -Lnc" listing of n connections made
// by MakeConnections: the two header lines, then n lines, each of a
// connection in ESTABLISHED.
func checkConnListing(out []byte, _ *Table, n int) error {
	if !bytes.HasPrefix(out, []byte("IPVS connection entries\npro expire state ")) {
		return fmt.Errorf("-Lnc output does not start with the header lines: %.80q", out)
	}
	lines := bytes.Count(out, []byte("\n"))
	established := bytes.Count(out, []byte(" ESTABLISHED "))
	if lines != 2+n || established != n {
		return fmt.Errorf("-Lnc printed %d lines, %d of them ESTABLISHED; want %d (2 header lines, %d connections)",
			lines, established, 2+n, n)
	}
	return nil
}

// connReaderBuf is the read size of readConnections: far more than the
// kernel returns in one read of a seq_file (at most one page).
const connReaderBuf = 1 << 20

// readConnections reads /proc/net/ip_vs_conn to its end with
// connReaderBuf-byte reads, counting lines: the least any reader of the
// connection table pays. The kernel makes the text as it is read, and
// walks its connection table from the start again for every read, so
// nearly all of this is system time.
func readConnections() (ReaderOutput, error) {
	f, err := os.Open(connections.ProcFile)
	if err != nil {
		return ReaderOutput{}, err
	}
	defer f.Close()
	got, err := countReads(f, make([]byte, connReaderBuf))
	if err != nil {
		return got, fmt.Errorf("reading %s: %w", connections.ProcFile, err)
	}
	return got, nil
}

// countReads reads r to its end into buf and counts the reads, bytes and
// lines.
func countReads(r io.Reader, buf []byte) (ReaderOutput, error) {
	var got ReaderOutput
	for {
		n, err := r.Read(buf)
		got.Reads++
		got.Bytes += n
		got.Largest = max(got.Largest, n)
		got.Lines += bytes.Count(buf[:n], []byte("\n"))
		if errors.Is(err, io.EOF) {
			return got, nil
		}
		if err != nil {
			return got, err
		}
	}
}

// ReaderOutput is what reading the connection table took.
type ReaderOutput struct {
	// Reads counts the read calls, the last one (at the end of the file)
	// included; Largest is the most bytes one of them returned.
	Reads, Bytes, Lines, Largest int
}
