package connections

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ipvsadm-go/ipvsadm/internal/render"
)

// readAll reads every row of in.
func readAll(in io.Reader) ([]Row, error) {
	rd, err := NewReader(in)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for {
		row, err := rd.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
}

// TestReader checks the rows Reader returns, and that it ends as Write
// does, on the inputs of Write's tests.
func TestReader(t *testing.T) {
	row := "TCP 0A090001 C350 0A09000A 0050 0A090002 0050 ESTABLISHED     899"
	in := procHeader + row + "\n" +
		"UDP 2001:0db8:0000:0000:0000:0000:0000:0009 13C4 2001:0db8:0000:0000:0000:0000:0000:000a 13C4 2001:0db8:0000:0000:0000:0000:0000:0002 13C4 UDP             299 sip 1234@example\n" +
		row + " sip " + strings.Repeat("d", 255-len(row)-5) + "UDP 0A090001 0001\n"
	got, err := readAll(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort
	want := []Row{
		{Protocol: "TCP", Client: ap("10.9.0.1:50000"), Virtual: ap("10.9.0.10:80"), Server: ap("10.9.0.2:80"), State: "ESTABLISHED", Expires: 899},
		{Protocol: "UDP", Client: ap("[2001:db8::9]:5060"), Virtual: ap("[2001:db8::a]:5060"), Server: ap("[2001:db8::2]:5060"),
			State: "UDP", Expires: 299, HasPE: true, PEName: "sip", PEData: "1234@example"},
		{Protocol: "TCP", Client: ap("10.9.0.1:50000"), Virtual: ap("10.9.0.10:80"), Server: ap("10.9.0.2:80"), State: "ESTABLISHED", Expires: 899,
			HasPE: true, PEName: "sip", PEData: strings.Repeat("d", 255-len(row)-5)},
		// The rest of the over-long line is a row of its own, as for -Lc.
		{Protocol: "UDP", Client: ap("10.9.0.1:1"), Virtual: ap("0.0.0.0:0"), Server: ap("0.0.0.0:0")},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.AddrPort{})); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}

	// Every row Write prints is a row Reader returns.
	var out bytes.Buffer
	if err := Write(&out, strings.NewReader(in), render.Options{Numeric: true}, nil); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(out.String(), "\n") - 2; lines != len(got) {
		t.Errorf("Write printed %d rows, Reader returned %d", lines, len(got))
	}

	if _, err := NewReader(strings.NewReader("")); !errors.Is(err, ErrNoHeader) {
		t.Errorf("empty input: %v, want ErrNoHeader", err)
	}
	rows, err := readAll(strings.NewReader(procHeader + row + "\n   \n" + row + "\n"))
	if !errors.Is(err, ErrBlankLine) || len(rows) != 1 {
		t.Errorf("blank line: %d rows, %v; want 1 row and ErrBlankLine", len(rows), err)
	}
	rows, err = readAll(errReader{strings.NewReader(procHeader + row + "\n")})
	if !errors.Is(err, errBoom) || len(rows) != 1 {
		t.Errorf("read error: %d rows, %v; want 1 row and the error", len(rows), err)
	}
}

// TestReaderConstantMemory reads a million rows: memory must not grow
// with the table.
func TestReaderConstantMemory(t *testing.T) {
	const n = 1_000_000
	rd, err := NewReader(&genReader{n: n})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	count := 0
	for {
		if _, err := rd.Next(); err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		count++
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if count != n {
		t.Errorf("%d rows, want %d", count, n)
	}
	if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 1<<20 {
		t.Errorf("heap grew by %d bytes over %d rows", grown, n)
	}
}
