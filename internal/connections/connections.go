// Package connections prints the IPVS connection table (ipvsadm -Lc) from
// the text of /proc/net/ip_vs_conn, as ipvsadm 1.31 does (section 3.12 of
// the behavioural reference).
//
// It streams: input is read in bounded chunks and each row is written as
// soon as it is read, so memory stays constant whatever the table size.
//
// The kernel (net/netfilter/ipvs/ip_vs_conn.c) writes one header line, then
// per connection "PRO CADDR CPRT VADDR VPRT DADDR DPRT STATE EXPIRES", with
// IPv4 addresses as 8 hex digits, IPv6 ones in full colon form, ports as 4
// hex digits, the state left-justified in 11, the expiry in seconds right-
// justified in 7, and, for connections with persistence-engine data, " PE
// DATA" at the end:
//
//	TCP 0A090001 C350 0A09000A 0050 0A090002 0050 ESTABLISHED     899
package connections

import (
	"bufio"
	"errors"
	"io"
	"net/netip"
	"strconv"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvstext"
	"github.com/ipvsadm-go/ipvsadm/internal/render"
)

// ProcFile is the file the original reads.
const ProcFile = "/proc/net/ip_vs_conn"

// CannotOpenMessage is the original's stderr line (exit status 1) when
// ProcFile cannot be opened; the caller opens the file and prints it.
const CannotOpenMessage = "cannot open file " + ProcFile

var (
	// ErrNoHeader means the input was empty: not even the header line
	// could be read. Its text is the original's stderr line, "unexpected
	// input from /proc/net/ip_vs_conn" (exit status 1); nothing has been
	// written.
	ErrNoHeader = errors.New("unexpected input from " + ProcFile)
	// ErrBlankLine means a chunk of input held nothing but white space.
	// The original exits with status 1 there WITHOUT any message, after
	// the rows before it have been printed (Write has written them).
	ErrBlankLine = errors.New("blank line in " + ProcFile)
)

// lineBuf is the size of the original's fgets buffer: a file line longer
// than lineBuf-1 bytes is read, and printed, as several rows.
const lineBuf = 256

// Write reads the connection table from r and writes the -Lc listing to w:
// the two header lines (three columns more with opts.PersistentConn), then
// one row per input chunk after the first (the file's header). Only
// opts.Numeric and opts.PersistentConn are used; with a nil n or
// opts.Numeric, addresses and ports are numeric.
//
// Write returns ErrNoHeader for empty input, ErrBlankLine (after writing
// the rows before it) for a blank line, or a read or write error. Output is
// buffered internally and flushed before Write returns, in every case.
func Write(w io.Writer, r io.Reader, opts render.Options, n render.Namer) error {
	if opts.Numeric {
		n = nil
	}
	cr := chunkReader{br: bufio.NewReaderSize(r, 64<<10)}
	if _, err := cr.next(); err != nil {
		if err == io.EOF {
			return ErrNoHeader
		}
		return err
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteString("IPVS connection entries\n")
	if opts.PersistentConn {
		bw.WriteString("pro expire state       source             virtual            destination        pe name          pe_data\n")
	} else {
		bw.WriteString("pro expire state       source             virtual            destination\n")
	}
	var c conn
	var err error
	for {
		var chunk []byte
		if chunk, err = cr.next(); err != nil {
			break
		}
		if !c.parse(chunk) {
			err = ErrBlankLine
			break
		}
		if _, err = bw.Write(c.appendRow(bw.AvailableBuffer(), opts.PersistentConn, n)); err != nil {
			break
		}
	}
	if err == io.EOF {
		err = nil
	}
	if ferr := bw.Flush(); ferr != nil && (err == nil || err == ErrBlankLine) {
		err = ferr
	}
	return err
}

// chunkReader returns what successive fgets(buf, 256, f) calls would:
// bytes up to and including the next newline, at most 255 of them. A read
// error is reported once the bytes read before it have been returned.
type chunkReader struct {
	br  *bufio.Reader
	err error // read error already seen, returned when the buffer is empty
}

// next returns the next chunk, valid until the following call, or a nil
// chunk and io.EOF or the read error.
func (cr *chunkReader) next() ([]byte, error) {
	var buf []byte
	if cr.err != nil {
		buf, _ = cr.br.Peek(cr.br.Buffered())
	} else {
		var err error
		buf, err = cr.br.Peek(lineBuf - 1)
		if err != nil && err != bufio.ErrBufferFull {
			cr.err = err
		}
	}
	if len(buf) > lineBuf-1 {
		buf = buf[:lineBuf-1]
	}
	if len(buf) == 0 {
		if cr.err == nil {
			cr.err = io.EOF
		}
		return nil, cr.err
	}
	for i, c := range buf {
		if c == '\n' {
			buf = buf[:i+1]
			break
		}
	}
	cr.br.Discard(len(buf))
	return buf, nil
}

// conn is one parsed row: the 11 conversions of the original's
// sscanf(buf, "%s %s %hX %s %hX %s %hX %s %d %s %s", ...). Conversions
// the line does not reach keep zero values; in the original they keep
// whatever the stack held, which we do not imitate.
type conn struct {
	n                                 int // conversions done
	proto, caddr, vaddr, daddr, state []byte
	peName, peData                    []byte
	cport, vport, dport               uint16
	expires                           uint32
}

// parse fills c from one chunk and reports false when the original's
// sscanf would return EOF (the chunk is blank).
func (c *conn) parse(chunk []byte) bool {
	// sscanf stops at a NUL byte.
	for i, ch := range chunk {
		if ch == 0 {
			chunk = chunk[:i]
			break
		}
	}
	*c = conn{}
	s := scanner{s: chunk}
	var ok bool
	if c.proto, ok = s.str(); !ok {
		return false // input failure before the first conversion
	}
	c.n = 1
	if c.caddr, ok = s.str(); !ok {
		return true
	}
	c.n++
	if c.cport, ok = s.hex16(); !ok {
		return true
	}
	c.n++
	if c.vaddr, ok = s.str(); !ok {
		return true
	}
	c.n++
	if c.vport, ok = s.hex16(); !ok {
		return true
	}
	c.n++
	if c.daddr, ok = s.str(); !ok {
		return true
	}
	c.n++
	if c.dport, ok = s.hex16(); !ok {
		return true
	}
	c.n++
	if c.state, ok = s.str(); !ok {
		return true
	}
	c.n++
	if c.expires, ok = s.dec32(); !ok {
		return true
	}
	c.n++
	if c.peName, ok = s.str(); !ok {
		return true
	}
	c.n++
	if c.peData, ok = s.str(); !ok {
		return true
	}
	c.n++
	return true
}

// protocol maps the row's protocol token to the protocol whose service
// names are looked up; others (IP, ...) keep numeric ports.
func protocol(tok []byte) ipvs.Protocol {
	p, _ := ipvs.ParseProtocol(string(tok))
	return p
}

// addrs classifies and parses the three address tokens like the original:
// if the client address is IPv6 text, client and virtual are IPv6; else if
// it is dotted IPv4, both are dotted IPv4; else both are hex numbers. A
// token that fails the chosen parse reads as the zero address. The server
// address is classified on its own.
func (c *conn) addrs() (caddr, vaddr, daddr netip.Addr) {
	if a, ok := ipvstext.ParseIPv6(c.caddr); ok {
		caddr = a
		if vaddr, ok = ipvstext.ParseIPv6(c.vaddr); !ok {
			vaddr = netip.IPv6Unspecified()
		}
	} else if a, ok := ipvstext.ParseIPv4(c.caddr); ok {
		caddr = a
		if vaddr, ok = ipvstext.ParseIPv4(c.vaddr); !ok {
			vaddr = netip.IPv4Unspecified()
		}
	} else {
		caddr = hexAddr(c.caddr)
		vaddr = hexAddr(c.vaddr)
	}
	if a, ok := ipvstext.ParseIPv6(c.daddr); ok {
		daddr = a
	} else if a, ok := ipvstext.ParseIPv4(c.daddr); ok {
		daddr = a
	} else {
		daddr = hexAddr(c.daddr)
	}
	return caddr, vaddr, daddr
}

// hexAddr is htonl(strtoul(tok, NULL, 16)) stored in an IPv4 address.
func hexAddr(tok []byte) netip.Addr {
	v := uint32(strtoul16(tok))
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// appendRow appends the output row for c.
func (c *conn) appendRow(b []byte, persistent bool, n render.Namer) []byte {
	caddr, vaddr, daddr := c.addrs()
	proto := protocol(c.proto)

	b = render.AppendLeft(b, c.proto, 3)
	b = append(b, ' ')
	start := len(b)
	// "%02d:%02d" of minutes and seconds.
	minutes, seconds := c.expires/60, c.expires%60
	if minutes < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendUint(b, uint64(minutes), 10)
	b = append(b, ':', byte('0'+seconds/10), byte('0'+seconds%10))
	b = render.Pad(b, start, 6)
	b = append(b, ' ')
	b = render.AppendLeft(b, c.state, 11)
	b = append(b, ' ')
	start = len(b)
	b = render.Pad(render.AppendAddrPort(b, caddr, c.cport, proto, n), start, 18)
	b = append(b, ' ')
	start = len(b)
	b = render.Pad(render.AppendAddrPort(b, vaddr, c.vport, proto, n), start, 18)
	b = append(b, ' ')
	if persistent && c.n == 11 {
		start = len(b)
		b = render.Pad(render.AppendAddrPort(b, daddr, c.dport, proto, n), start, 16)
		b = append(b, ' ')
		b = render.AppendLeft(b, c.peName, 18)
		b = append(b, ' ')
		b = append(b, c.peData...)
	} else {
		b = render.AppendAddrPort(b, daddr, c.dport, proto, n)
	}
	return append(b, '\n')
}
