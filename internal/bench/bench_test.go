package bench

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseSizes(t *testing.T) {
	got, err := ParseSizes("1000x10:3, 50000x2", 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []SizeRuns{{Size{1000, 10}, 3}, {Size{50000, 2}, 2}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"", "10", "0x5", "10x5:0", "axb", "2000000x1"} {
		if _, err := ParseSizes(bad, 1); err == nil {
			t.Errorf("ParseSizes(%q): no error", bad)
		}
	}
}

func TestRulesMatchExpectedTable(t *testing.T) {
	s := Size{Services: 300, Dests: 4}
	var buf bytes.Buffer
	if err := s.WriteRules(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != s.Lines() {
		t.Fatalf("%d lines, want %d", len(lines), s.Lines())
	}
	if lines[0] != "-A -t 10.0.0.1:80 -s wlc" || lines[1] != "-a -t 10.0.0.1:80 -r 172.16.0.1:80 -m -w 1" {
		t.Errorf("first lines %q", lines[:2])
	}
	if want := "-a -t 10.0.1.44:80 -r 172.16.4.176:80 -m -w 100"; lines[len(lines)-1] != want {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
	}
	want := s.ExpectedLines()
	if err := want.CheckLines(buf.Bytes()); err != nil {
		t.Error(err)
	}
	if len(s.Requests()) != s.Lines() {
		t.Error("one request per line expected")
	}
	short := bytes.TrimSuffix(buf.Bytes(), []byte(lines[len(lines)-1]+"\n"))
	if err := want.CheckLines(short); err == nil || !strings.Contains(err.Error(), "172.16.4.176") {
		t.Errorf("missing line not reported: %v", err)
	}
}

func TestTableCheck(t *testing.T) {
	want := Size{Services: 2, Dests: 1}.ExpectedLines()
	got := Size{Services: 2, Dests: 1}.ExpectedLines()
	if err := want.Check(got); err != nil {
		t.Error(err)
	}
	got.Lines[0] = "-a -t 10.0.0.1:80 -r 172.16.0.1:80 -m -w 7"
	if err := want.Check(got); err == nil {
		t.Error("changed weight not reported")
	}
	if err := (&Table{}).Check(&Table{Lines: []string{}}); err != nil {
		t.Errorf("empty tables differ: %v", err)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestMachineLineRoundTrip(t *testing.T) {
	m := Measurement{Op: "restore", Size: "10x2", Lines: 30, Impl: ImplOurs, Run: 2, Wall: 1.5, MaxRSSKiB: 4096}
	got, err := ParseMachineLine(m.MachineLine())
	if err != nil || got != m {
		t.Fatalf("got %+v, %v; want %+v", got, err, m)
	}
}

func TestReport(t *testing.T) {
	sizes := []SizeRuns{{Size{1000, 10}, 1}, {Size{10000, 10}, 1}}
	ops, err := SelectOps("restore,list")
	if err != nil {
		t.Fatal(err)
	}
	var ms []Measurement
	add := func(op, size, impl string, wall float64, rss int64) {
		// User and system time: a fixed share of the wall time, so
		// that their growth shows in the report.
		ms = append(ms, Measurement{Op: op, Size: size, Impl: impl, Wall: wall, User: wall / 4, Sys: wall / 2, MaxRSSKiB: rss})
	}
	add("restore", "1000x10", ImplReference, 4, 4000)
	add("restore", "1000x10", ImplOurs, 0.2, 5000)
	add("restore", "1000x10", ImplFloor, 0.18, 3000)
	add("restore", "10000x10", ImplReference, 40, 4000)
	add("restore", "10000x10", ImplOurs, 2.5, 5000)
	add("restore", "10000x10", ImplFloor, 2.2, 3000)
	add("list", "10000x10", ImplReference, 8, 20000)
	add("list", "10000x10", ImplOurs, 2, 40000)
	var b strings.Builder
	if err := WriteReport(&b, Report{Sizes: sizes, Ops: ops, Measurements: ms}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| ipvsadm -R < rules (empty table) | 10000x10 | 110000 | 1 | 40.000 | 2.500 | 16.00 | 2.200 (0.000) | 1.14 |",
		"| 1000x10 | 1.11 PASS | — | — | — | 1.25 (restore) |",
		"| 10000x10 | 1.14 PASS | 4.00 PASS | — | — | 2.00 (list) |",
		"- restore at 10000x10: reference/ours ≥ 10: 16.00 PASS",
		"- restore growth from 1000x10 to 10000x10 (10x the lines): ours 12.50x, floor 12.22x, ours ≤ floor: 1.02 **FAIL**",
		"  - by CPU time (medians): user ours 0.05 → 0.62 s (12.5x), floor 0.04 → 0.55 s (12.2x); system ours 0.10 → 1.25 s (12.5x), floor 0.09 → 1.10 s (12.2x)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestReportConns(t *testing.T) {
	ops, err := SelectOps("conns")
	if err != nil {
		t.Fatal(err)
	}
	ms := []Measurement{
		{Op: "conns", Size: "1000x1", Impl: ImplReference, Wall: 8, User: 3, Sys: 5, MaxRSSKiB: 2048},
		{Op: "conns", Size: "1000x1", Impl: ImplOurs, Wall: 6, User: 1, Sys: 5, MaxRSSKiB: 8192},
		{Op: "conns", Size: "1000x1", Impl: ImplFloor, Wall: 4.5, User: 0.5, Sys: 4, MaxRSSKiB: 4096, Reads: 1700, LargestRead: 4092},
		{Op: "conns", Size: "1000x1", Impl: ImplFloor, Wall: 5.5, User: 0.5, Sys: 5, MaxRSSKiB: 4096, Reads: 1702, LargestRead: 4095},
	}
	var b strings.Builder
	if err := WriteReport(&b, Report{Sizes: []SizeRuns{{Size{1000, 1}, 2}}, Ops: ops, Conns: 100000, Measurements: ms}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| ipvsadm -Lnc (100000 connections) | 1000x1 | 2000 | 1 | 8.000 | 6.000 | 1.33 | 5.000 (0.000) | 1.20 | 2.0 MiB | 8.0 MiB | 4.00 |",
		"### -Lnc with 100000 connections: the kernel's share",
		"| 1000x1 | reference | 8.000 | 3.000 | 5.000 | 2.0 MiB | 0.62 |",
		"| 1000x1 | ours | 6.000 | 1.000 | 5.000 | 8.0 MiB | 0.83 |",
		"| 1000x1 | floor (1701 reads, largest 4095 bytes) | 5.000 | 0.500 | 4.500 | 4.0 MiB | 1.00 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckConns(t *testing.T) {
	conns, err := SelectOps("conns")
	if err != nil {
		t.Fatal(err)
	}
	ok := Config{Ops: conns, Conns: 10, Sizes: []SizeRuns{{Size{1, 1}, 1}}}
	if err := ok.checkConns(); err != nil {
		t.Error(err)
	}
	for name, cfg := range map[string]Config{
		"no connections": {Ops: conns, Conns: 0, Sizes: ok.Sizes},
		"too many":       {Ops: conns, Conns: MaxConns + 1, Sizes: ok.Sizes},
		"no destination": {Ops: conns, Conns: 10, Sizes: []SizeRuns{{Size{1, 0}, 1}}},
	} {
		if err := cfg.checkConns(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	list, _ := SelectOps("list")
	if err := (&Config{Ops: list, Sizes: []SizeRuns{{Size{1, 0}, 1}}}).checkConns(); err != nil {
		t.Errorf("without conns: %v", err)
	}
}
