package connections

// The expected rows below that are marked "sample" are -Lnc output of the
// real ipvsadm 1.31 (Debian 12); listing.cases in testdata/diff checks -Lnc
// against it in the VM with real connections. The input lines are
// constructed in the format of the kernel's ip_vs_conn_seq_show
// ("%-3s %08X %04X %08X %04X %08X %04X %-11s %7u" for IPv4, full %pI6
// addresses for IPv6, " PE DATA" appended when there is PE data). Other
// expectations are derived from the original's print_conn/list_conn.

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ipvsadm-go/ipvsadm/internal/render"
)

const (
	procHeader = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"
	outHeader  = "IPVS connection entries\n" +
		"pro expire state       source             virtual            destination\n"
	outHeaderPE = "IPVS connection entries\n" +
		"pro expire state       source             virtual            destination        pe name          pe_data\n"
)

type fakeNamer struct{}

func (fakeNamer) HostByAddr(a netip.Addr) (string, bool) {
	switch a.String() {
	case "10.9.0.10":
		return "vip.example.com", true
	case "2001:db8::9":
		return "client6", true
	}
	return "", false
}

func (fakeNamer) ServiceByPort(port uint16, proto string) (string, bool) {
	if port == 80 && proto == "tcp" {
		return "http", true
	}
	if port == 5060 && proto == "udp" {
		return "sip", true
	}
	return "", false
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		opts  render.Options
		namer render.Namer
		want  string
		err   error
	}{
		{
			name: "sample rows",
			in: procHeader +
				"TCP 0A090001 C350 0A09000A 0050 0A090002 0050 ESTABLISHED     899\n" +
				"SCTP 0A090001 0F1C 0A01010A 0F1C C0A80128 0F1C ESTABLISHED    3600\n" +
				"TCP 0A090001 0000 0A09000A 0050 0A090002 0050 NONE          61234\n" +
				"IP  0A090000 0000 00000000 0000 0A090002 0000 ASSURED         360\n" +
				"TCP 2001:0db8:0000:0000:0000:0000:0000:0009 C350 2001:0db8:0000:0000:0000:0000:0000:0100 01BB 2001:0db8:0000:0000:0000:0000:0000:0010 20FB SYN_RECV         59\n",
			opts: render.Options{Numeric: true},
			want: outHeader +
				"TCP 14:59  ESTABLISHED 10.9.0.1:50000     10.9.0.10:80       10.9.0.2:80\n" +
				"SCTP 60:00  ESTABLISHED 10.9.0.1:3868      10.1.1.10:3868     192.168.1.40:3868\n" +
				"TCP 1020:34 NONE        10.9.0.1:0         10.9.0.10:80       10.9.0.2:80\n" +
				"IP  06:00  ASSURED     10.9.0.0:0         0.0.0.0:0          10.9.0.2:0\n" +
				"TCP 00:59  SYN_RECV    [2001:db8::9]:50000 [2001:db8::100]:443 [2001:db8::10]:8443\n",
		},
		{
			name: "sample SIP row with --persistent-conn",
			in:   procHeader + "UDP 0A090001 13C4 0A01010A 13C4 C0A80114 13C4 UDP              29 sip 3a9f2c@example.com\n",
			opts: render.Options{Numeric: true, PersistentConn: true},
			want: outHeaderPE +
				"UDP 00:29  UDP         10.9.0.1:5060      10.1.1.10:5060     192.168.1.20:5060 sip                3a9f2c@example.com\n",
		},
		{
			name: "PE fields without --persistent-conn are ignored",
			in:   procHeader + "UDP 0A090001 13C4 0A01010A 13C4 C0A80114 13C4 UDP              29 sip 3a9f2c@example.com\n",
			opts: render.Options{Numeric: true},
			want: outHeader + "UDP 00:29  UDP         10.9.0.1:5060      10.1.1.10:5060     192.168.1.20:5060\n",
		},
		{
			name: "--persistent-conn row without PE fields uses the short layout",
			in:   procHeader + "TCP 0A090001 C350 0A09000A 0050 0A090002 0050 ESTABLISHED     899\n",
			opts: render.Options{Numeric: true, PersistentConn: true},
			want: outHeaderPE + "TCP 14:59  ESTABLISHED 10.9.0.1:50000     10.9.0.10:80       10.9.0.2:80\n",
		},
		{
			name: "header only",
			in:   procHeader,
			opts: render.Options{Numeric: true},
			want: outHeader,
		},
		{
			name: "header without newline",
			in:   "Pro FromIP",
			want: outHeader,
		},
		{
			name: "empty input",
			in:   "",
			want: "",
			err:  ErrNoHeader,
		},
		{
			name: "names resolved without -n; IP template ports stay numeric; no 28 cut",
			in: procHeader +
				"TCP 0A090001 C350 0A09000A 0050 0A090002 0050 ESTABLISHED     899\n" +
				"IP  0A090001 0050 0A09000A 0050 0A090002 0050 NONE            120\n" +
				"UDP 0A090001 13C4 0A09000A 13C4 C0A80114 13C4 UDP              29\n" +
				"TCP 2001:0db8:0000:0000:0000:0000:0000:0009 C350 2001:0db8:0000:0000:0000:0000:0000:0100 0050 2001:0db8:0000:0000:0000:0000:0000:0010 20FB SYN_RECV         59\n",
			namer: fakeNamer{},
			want: outHeader +
				"TCP 14:59  ESTABLISHED 10.9.0.1:50000     vip.example.com:http 10.9.0.2:http\n" +
				"IP  02:00  NONE        10.9.0.1:80        vip.example.com:80 10.9.0.2:80\n" +
				"UDP 00:29  UDP         10.9.0.1:sip       vip.example.com:sip 192.168.1.20:sip\n" +
				"TCP 00:59  SYN_RECV    [client6]:50000    [2001:db8::100]:http [2001:db8::10]:8443\n",
		},
		{
			name:  "-n wins over a Namer",
			in:    procHeader + "TCP 0A090001 C350 0A09000A 0050 0A090002 0050 ESTABLISHED     899\n",
			opts:  render.Options{Numeric: true},
			namer: fakeNamer{},
			want:  outHeader + "TCP 14:59  ESTABLISHED 10.9.0.1:50000     10.9.0.10:80       10.9.0.2:80\n",
		},
		{
			name: "IPv6 connection to an IPv4 tunnel server",
			in:   procHeader + "TCP 2001:0db8:0000:0000:0000:0000:0000:0009 C350 2001:0db8:0000:0000:0000:0000:0000:0100 01BB C0A80132 01BB ESTABLISHED    900\n",
			opts: render.Options{Numeric: true},
			want: outHeader + "TCP 15:00  ESTABLISHED [2001:db8::9]:50000 [2001:db8::100]:443 192.168.1.50:443\n",
		},
		{
			name: "dotted IPv4 addresses are accepted too",
			in:   procHeader + "TCP 10.9.0.1 C350 10.9.0.10 0050 10.9.0.2 0050 ESTABLISHED 5\n",
			opts: render.Options{Numeric: true},
			want: outHeader + "TCP 00:05  ESTABLISHED 10.9.0.1:50000     10.9.0.10:80       10.9.0.2:80\n",
		},
		{
			name: "blank line ends with an error after earlier rows",
			in:   procHeader + "TCP 0A090001 C350 0A09000A 0050 0A090002 0050 ESTABLISHED     899\n\nTCP 0A090001 C350 0A09000A 0050 0A090002 0050 ESTABLISHED     899\n",
			opts: render.Options{Numeric: true},
			want: outHeader + "TCP 14:59  ESTABLISHED 10.9.0.1:50000     10.9.0.10:80       10.9.0.2:80\n",
			err:  ErrBlankLine,
		},
		{
			name: "white-space-only line is blank",
			in:   procHeader + " \t\r\n",
			opts: render.Options{Numeric: true},
			want: outHeader,
			err:  ErrBlankLine,
		},
		{
			name: "NUL starts a blank line",
			in:   procHeader + "\x00TCP 0A090001\n",
			opts: render.Options{Numeric: true},
			want: outHeader,
			err:  ErrBlankLine,
		},
		{
			name: "last line without newline",
			in:   procHeader + "TCP 0A090001 C350 0A09000A 0050 0A090002 0050 ESTABLISHED     899",
			opts: render.Options{Numeric: true},
			want: outHeader + "TCP 14:59  ESTABLISHED 10.9.0.1:50000     10.9.0.10:80       10.9.0.2:80\n",
		},
		{
			name: "short rows: missing fields read as zero",
			in:   procHeader + "TCP\nUDP 0A090001 zz\n",
			opts: render.Options{Numeric: true},
			want: outHeader +
				"TCP 00:00              0.0.0.0:0          0.0.0.0:0          0.0.0.0:0\n" +
				"UDP 00:00              10.9.0.1:0         0.0.0.0:0          0.0.0.0:0\n",
		},
		{
			name: "scanf number forms: sign, 0x, overflow; negative expiry",
			in:   procHeader + "TCP -1 0x50 +0A 0X1FFFF 1 -1 X +61\n",
			opts: render.Options{Numeric: true},
			want: outHeader + "TCP 01:01  X           255.255.255.255:80 0.0.0.10:65535     0.0.0.1:65535\n",
		},
		{
			name: "expiry as unsigned; long tokens verbatim",
			in:   procHeader + "TCP 0A090001 C350 0A09000A 0050 0A090002 0050 A_VERY_LONG_STATE -1\n",
			opts: render.Options{Numeric: true},
			want: outHeader + "TCP 71582788:15 A_VERY_LONG_STATE 10.9.0.1:50000     10.9.0.10:80       10.9.0.2:80\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Write(&out, strings.NewReader(tt.in), tt.opts, tt.namer)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLineSplit checks the 256-byte fgets buffer: a file line longer than
// 255 bytes is read as several rows, and a line of exactly 255 bytes
// leaves its newline alone in the next read, which is a blank line.
func TestLineSplit(t *testing.T) {
	row := "TCP 0A090001 C350 0A09000A 0050 0A090002 0050 ESTABLISHED     899"
	long := row + " sip " + strings.Repeat("d", 255-len(row)-5) + "UDP 0A090001 0001\n"
	var out bytes.Buffer
	err := Write(&out, strings.NewReader(procHeader+long), render.Options{Numeric: true, PersistentConn: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := outHeaderPE +
		"TCP 14:59  ESTABLISHED 10.9.0.1:50000     10.9.0.10:80       10.9.0.2:80      sip                " + strings.Repeat("d", 255-len(row)-5) + "\n" +
		"UDP 00:00              10.9.0.1:1         0.0.0.0:0          0.0.0.0:0\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("split (-want +got):\n%s", diff)
	}

	exact := row + strings.Repeat(" ", 255-len(row)) + "\n"
	out.Reset()
	err = Write(&out, strings.NewReader(procHeader+exact), render.Options{Numeric: true}, nil)
	if !errors.Is(err, ErrBlankLine) {
		t.Errorf("255-byte line: err = %v, want ErrBlankLine", err)
	}
	if want := outHeader + "TCP 14:59  ESTABLISHED 10.9.0.1:50000     10.9.0.10:80       10.9.0.2:80\n"; out.String() != want {
		t.Errorf("255-byte line: got %q", out.String())
	}

	// A header line longer than 255 bytes: only its first 255 are skipped.
	out.Reset()
	err = Write(&out, strings.NewReader(strings.Repeat("h", 255)+"TCP\n"), render.Options{Numeric: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := outHeader + "TCP 00:00              0.0.0.0:0          0.0.0.0:0          0.0.0.0:0\n"; out.String() != want {
		t.Errorf("long header: got %q", out.String())
	}
}

type errReader struct{ r io.Reader }

var errBoom = errors.New("boom")

func (e errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, errBoom
	}
	return n, err
}

func TestReadError(t *testing.T) {
	var out bytes.Buffer
	err := Write(&out, errReader{strings.NewReader(procHeader + "TCP 0A090001 C350 0A09000A 0050 0A090002 0050 ESTABLISHED     899\n")}, render.Options{Numeric: true}, nil)
	if !errors.Is(err, errBoom) {
		t.Errorf("err = %v, want boom", err)
	}
	if !strings.HasSuffix(out.String(), "10.9.0.2:80\n") {
		t.Errorf("rows before the error were not written: %q", out.String())
	}
	if err := Write(&out, errReader{strings.NewReader("")}, render.Options{}, nil); !errors.Is(err, errBoom) {
		t.Errorf("err = %v, want boom", err)
	}
}

// genReader produces a kernel-format table of n rows without holding it.
type genReader struct {
	n, i int
	buf  []byte
	off  int
}

func (g *genReader) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		if g.off == len(g.buf) {
			if g.i > g.n {
				if total == 0 {
					return 0, io.EOF
				}
				return total, nil
			}
			if g.i == 0 {
				g.buf = append(g.buf[:0], procHeader...)
			} else {
				// "TCP %08X %04X 0A09000A 0050 %08X 0050 ESTABLISHED %7d\n",
				// without fmt, which would allocate.
				b := append(g.buf[:0], "TCP "...)
				b = appendHex(b, uint64(0x0A000000+g.i), 8)
				b = append(b, ' ')
				b = appendHex(b, uint64(g.i&0xffff), 4)
				b = append(b, " 0A09000A 0050 "...)
				b = appendHex(b, uint64(0xC0A80000+g.i%250), 8)
				b = append(b, " 0050 ESTABLISHED "...)
				var tmp [8]byte
				e := strconv.AppendInt(tmp[:0], int64(g.i%900), 10)
				b = append(b, "       "[len(e):]...)
				b = append(b, e...)
				g.buf = append(b, '\n')
			}
			g.off = 0
			g.i++
		}
		n := copy(p, g.buf[g.off:])
		g.off += n
		p = p[n:]
		total += n
	}
	return total, nil
}

func appendHex(b []byte, v uint64, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		b = append(b, "0123456789ABCDEF"[(v>>(4*uint(i)))&0xf])
	}
	return b
}

type countWriter struct{ n, lines int }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	c.lines += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

// TestStreamingMillion feeds a million rows through Write and checks that
// every row comes out and that memory does not grow with the input: the
// whole run may allocate only a small constant amount.
func TestStreamingMillion(t *testing.T) {
	const rows = 1_000_000
	if testing.Short() {
		t.Skip("short")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var cw countWriter
	if err := Write(&cw, &genReader{n: rows, buf: make([]byte, 0, 256)}, render.Options{Numeric: true}, nil); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if cw.lines != rows+2 {
		t.Errorf("wrote %d lines, want %d", cw.lines, rows+2)
	}
	// Buffers of Write (64 KiB in, 32 KiB out) and little else.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("allocated %d bytes for %d rows; want constant memory", alloc, rows)
	}
}

func TestRowAllocs(t *testing.T) {
	line := []byte("TCP 2001:0db8:0000:0000:0000:0000:0000:0009 C350 2001:0db8:0000:0000:0000:0000:0000:0100 01BB 2001:0db8:0000:0000:0000:0000:0000:0010 20FB SYN_RECV         59 sip 3a9f2c@example.com\n")
	var c conn
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(1000, func() {
		c.parse(line)
		buf = c.appendRow(buf[:0], true, nil)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per numeric row, want 0", allocs)
	}
}

func FuzzConnections(f *testing.F) {
	f.Add(procHeader + "TCP 0A090001 C350 0A09000A 0050 0A090002 0050 ESTABLISHED     899\n")
	f.Add(procHeader + "UDP 0A090001 13C4 0A01010A 13C4 C0A80114 13C4 UDP              29 sip 3a9f2c@example.com\n")
	f.Add(procHeader + "TCP 2001:0db8:0000:0000:0000:0000:0000:0009 C350 2001:0db8:0000:0000:0000:0000:0000:0100 01BB 2001:0db8:0000:0000:0000:0000:0000:0010 20FB SYN_RECV         59\n")
	f.Add("x\n-1 ::ffff:1.2.3.4 -0x 1.2.3.4 +FFFFFFFFFFFFFFFFFFFF :: 0x 99999999999999999999999 \x00\n\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		for _, opts := range []render.Options{{Numeric: true}, {PersistentConn: true}} {
			var out bytes.Buffer
			err := Write(&out, strings.NewReader(in), opts, fakeNamer{})
			if err != nil && !errors.Is(err, ErrNoHeader) && !errors.Is(err, ErrBlankLine) {
				t.Fatalf("unexpected error %v", err)
			}
			if in == "" && !errors.Is(err, ErrNoHeader) {
				t.Fatalf("empty input: err = %v", err)
			}
		}
	})
}

func BenchmarkConnections(b *testing.B) {
	const rows = 10000
	var in bytes.Buffer
	g := &genReader{n: rows}
	if _, err := io.Copy(&in, g); err != nil {
		b.Fatal(err)
	}
	data := in.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, bytes.NewReader(data), render.Options{Numeric: true}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errors.New("broken pipe")
}

func TestWriteErrorStopsReading(t *testing.T) {
	g := &genReader{n: 1_000_000}
	fw := &failWriter{}
	err := Write(fw, g, render.Options{Numeric: true}, nil)
	if err == nil || err.Error() != "broken pipe" {
		t.Errorf("err = %v, want broken pipe", err)
	}
	if g.i > 10000 {
		t.Errorf("read %d rows after the writer failed", g.i)
	}
}

// A read error after more than 255 buffered bytes without a newline still
// yields 255-byte chunks.
func TestReadErrorKeepsChunkSize(t *testing.T) {
	in := procHeader + strings.Repeat("x", 600)
	var out bytes.Buffer
	err := Write(&out, errReader{strings.NewReader(in)}, render.Options{Numeric: true}, nil)
	if !errors.Is(err, errBoom) {
		t.Errorf("err = %v", err)
	}
	if got := strings.Count(out.String(), "\n"); got != 2+3 {
		t.Errorf("%d lines, want 5 (three chunks of 255, 255, 90):\n%s", got, out.String())
	}
}
