package rule

import "testing"

func BenchmarkParseServer(b *testing.B) {
	args := f("-a -t 10.1.1.1:80 -r 192.168.1.10:8080 -m -w 3")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parse(args, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendFormat formats the save line of a server, numerically, as
// ipvsadm -Sn does for every server, into a reused buffer.
func BenchmarkAppendFormat(b *testing.B) {
	c, err := parse(f("-a -t 10.1.1.1:80 -r 192.168.1.10:8080 -m -w 3"), false)
	if err != nil {
		b.Fatal(err)
	}
	var line []byte
	b.ReportAllocs()
	for b.Loop() {
		line = AppendFormat(line[:0], c, nil)
	}
	if string(line) != "-a -t 10.1.1.1:80 -r 192.168.1.10:8080 -m -w 3" {
		b.Fatalf("formatted %q", line)
	}
}

// BenchmarkParserSaveLines parses the two lines of a saved service with one
// server, as a restore does: with one Parser, line after line.
func BenchmarkParserSaveLines(b *testing.B) {
	lines := [][]string{f("-A -t 10.1.1.1:80 -s wlc"), f("-a -t 10.1.1.1:80 -r 192.168.1.10:8080 -m -w 3")}
	var p Parser
	b.ReportAllocs()
	for b.Loop() {
		for _, args := range lines {
			if _, err := p.Parse("ipvsadm", args, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
