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
