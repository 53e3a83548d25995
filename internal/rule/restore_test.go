package rule

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTokenize(t *testing.T) {
	long := strings.Repeat("a", 5000)
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"ipvsadm -A -t 1.1.1.1:80", []string{"-A", "-t", "1.1.1.1:80"}},
		{"-A ipvsadm -u 1.1.1.1:53", []string{"-A", "-u", "1.1.1.1:53"}},
		{"\t-a  -t 1.1.1.1:80\r", []string{"-a", "-t", "1.1.1.1:80"}},
		{`-t "1.1.1.2:80"`, []string{"-t", `"1.1.1.2:80"`}},
		{"# saved", []string{"#", "saved"}},
		{"", nil},
		{"  \t ", nil},
		{"ipvsadm", nil},
		{"IPVSADM x", []string{"IPVSADM", "x"}},
		{long, []string{long[:4096], long[4096:]}},
		{"a\x00b c", []string{"a", "c"}},
		{"\x00b", []string{""}},
		{"a\vb", []string{"a\vb"}},
	} {
		if got := Tokenize(tc.line); !cmp.Equal(got, tc.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

func readAll(t *testing.T, in string) [][]string {
	t.Helper()
	r := NewReader(strings.NewReader(in))
	var out [][]string
	for {
		toks, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, slices.Clone(toks)) // Next reuses the slice
	}
}

func TestReader(t *testing.T) {
	long := strings.Repeat("b", 4096)
	for _, tc := range []struct {
		in   string
		want [][]string
	}{
		// 7.31
		{"ipvsadm -A -t 1.1.1.1:80\n\n  \n\t-a -t 1.1.1.1:80 -r 2.2.2.2 -m\n-A ipvsadm -u 1.1.1.1:53\n",
			[][]string{{"-A", "-t", "1.1.1.1:80"}, {"-a", "-t", "1.1.1.1:80", "-r", "2.2.2.2", "-m"}, {"-A", "-u", "1.1.1.1:53"}}},
		{"-C\r\n-L\r\n", [][]string{{"-C"}, {"-L"}}},
		// The end-of-input quirk (4.2, 7.36).
		{"-C\n-A -t 1.1.1.2:80\t", [][]string{{"-C"}, {"-A", "-t", "1.1.1.2:80"}}},
		{"-C\n-A -t 1.1.1.2:80", [][]string{{"-C"}, {"-A", "-t", "1.1.1.2:80"}}},
		{"-C\n-A -t 1.1.1.1:80 \t", [][]string{{"-C"}}},
		{"-C\n-A -t 1.1.1.3:80\r\r", [][]string{{"-C"}}},
		{"-C\n-A -t 1.1.1.3:80  ", [][]string{{"-C"}}},
		{"-A -t 1.1.1.3:80  \n", [][]string{{"-A", "-t", "1.1.1.3:80"}}},
		{"-C\n   ", [][]string{{"-C"}}},
		{"", nil},
		{"\n\n", nil},
		{"ipvsadm\nipvsadm", nil},
		// Long tokens are split; the split happens at exactly 4096 bytes.
		{long + "c d\n", [][]string{{long, "c", "d"}}},
		{long + "\n-L\n", [][]string{{long}, {"-L"}}},
		{"x " + long + " y\n", [][]string{{"x", long, "y"}}},
		{"a\x00z b\n", [][]string{{"a", "b"}}},
	} {
		if got := readAll(t, tc.in); !cmp.Equal(got, tc.want) {
			t.Errorf("Reader(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestReaderError(t *testing.T) {
	r := NewReader(io.MultiReader(strings.NewReader("-A -t x"), errReader{}))
	if _, err := r.Next(); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("Next = %v, want the read error", err)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("Next after error = %v, want io.EOF", err)
	}
}

// TestReaderReusesSlice: Next hands out one slice, line after line, while
// the strings of an earlier line stay as they were.
func TestReaderReusesSlice(t *testing.T) {
	r := NewReader(strings.NewReader("-A -t 1.1.1.1:80\n-D -u 2.2.2.2:53\n"))
	first, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	kept := first[2]
	second, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if &first[0] != &second[0] {
		t.Error("Next allocated a new slice for the second line")
	}
	if kept != "1.1.1.1:80" {
		t.Errorf("a string of the first line changed to %q", kept)
	}
}
