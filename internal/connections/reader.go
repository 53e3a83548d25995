package connections

import (
	"bufio"
	"io"
	"net/netip"
)

// Row is one connection of the table, read the way -Lc reads it (the
// same chunks, conversions and address classification as Write).
type Row struct {
	// Protocol is the kernel's token: "TCP", "UDP", "SCTP", "IP", ...
	Protocol string
	Client   netip.AddrPort
	Virtual  netip.AddrPort
	Server   netip.AddrPort
	// State is the kernel's state name, such as "ESTABLISHED".
	State string
	// Expires is the time left, in seconds.
	Expires uint32
	// HasPE reports persistence-engine data: PEName and PEData are set
	// only then.
	HasPE          bool
	PEName, PEData string
}

// Reader reads the connection table row by row in constant memory: the
// iterator behind Write, for callers that format rows themselves.
type Reader struct {
	cr chunkReader
	c  conn
}

// NewReader reads the header line of the table from r. It returns
// ErrNoHeader for empty input, or the read error.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{cr: chunkReader{br: bufio.NewReaderSize(r, 64<<10)}}
	if _, err := rd.cr.next(); err != nil {
		if err == io.EOF {
			return nil, ErrNoHeader
		}
		return nil, err
	}
	return rd, nil
}

// Next returns the next row. At the end of the table it returns io.EOF;
// for a blank line (where -Lc stops) ErrBlankLine; or the read error.
func (rd *Reader) Next() (Row, error) {
	chunk, err := rd.cr.next()
	if err != nil {
		return Row{}, err
	}
	c := &rd.c
	if !c.parse(chunk) {
		return Row{}, ErrBlankLine
	}
	caddr, vaddr, daddr := c.addrs()
	row := Row{
		Protocol: string(c.proto),
		Client:   netip.AddrPortFrom(caddr, c.cport),
		Virtual:  netip.AddrPortFrom(vaddr, c.vport),
		Server:   netip.AddrPortFrom(daddr, c.dport),
		State:    string(c.state),
		Expires:  c.expires,
	}
	if c.n == 11 {
		row.HasPE, row.PEName, row.PEData = true, string(c.peName), string(c.peData)
	}
	return row, nil
}
