package rule

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/ipvsadm-go/ipvsadm/internal/difftest"
)

// byteReader is config_stream_read transcribed a byte at a time: the
// reference FuzzReader holds Reader (which scans its buffer a window at a
// time) to. It returns every line Reader.Next would, then io.EOF or the
// reader's error.
func byteReader(in io.Reader) ([][]string, error) {
	r := bufio.NewReader(in)
	var lines [][]string
	for {
		toks, err := byteLine(r)
		if err != nil {
			return lines, err
		}
		if len(toks) > 0 {
			lines = append(lines, toks)
		}
	}
}

// byteLine is one call of config_stream_read.
func byteLine(r *bufio.Reader) ([]string, error) {
	var toks []string
	for {
		// fscanf(stream, "%4096[^ \t\n\r]%1[ \t\n\r]", token, tail)
		c, err := r.ReadByte()
		if err == io.EOF {
			break // EOF before the first conversion
		} else if err != nil {
			return nil, err
		}
		if isRestoreSpace(c) {
			// Matching failure: skip blanks, tabs and CRs up to the end
			// of the line; the end of the input here drops the line.
			for isRestoreSpace(c) && c != '\n' {
				if c, err = r.ReadByte(); err != nil {
					return nil, err
				}
			}
			if c == '\n' {
				return toks, nil
			}
			r.UnreadByte()
			continue
		}
		tok := []byte{c}
		newline := false
		for len(tok) < maxToken {
			if c, err = r.ReadByte(); err == io.EOF {
				break
			} else if err != nil {
				return nil, err
			}
			if isRestoreSpace(c) {
				newline = c == '\n'
				break
			}
			tok = append(tok, c)
		}
		if len(tok) == maxToken {
			if c, err := r.ReadByte(); err == nil {
				if isRestoreSpace(c) {
					newline = c == '\n'
				} else {
					r.UnreadByte()
				}
			} else if err != io.EOF {
				return nil, err
			}
		}
		if i := bytes.IndexByte(tok, 0); i >= 0 {
			tok = tok[:i]
		}
		if string(tok) != progToken {
			toks = append(toks, string(tok))
		}
		if newline {
			return toks, nil
		}
	}
	if len(toks) == 0 {
		return nil, io.EOF
	}
	return toks, nil
}

// readerLines reads all of in with Reader: its lines, then io.EOF or the
// reader's error.
func readerLines(in io.Reader) ([][]string, error) {
	r := NewReader(in)
	var lines [][]string
	for {
		toks, err := r.Next()
		if err != nil {
			return lines, err
		}
		lines = append(lines, slices.Clone(toks)) // Next reuses the slice
	}
}

// corpusRestoreInputs returns the restore input of every corpus step that
// pipes printf's output or a here-document into a restore, as the shell
// makes it (the printf formats go through printf(1)).
func corpusRestoreInputs(t testing.TB) [][]byte {
	t.Helper()
	printf, err := exec.LookPath("printf")
	if err != nil {
		t.Skip("no printf(1) to expand the corpus's restore inputs")
	}
	files, err := filepath.Glob("../../testdata/diff/*.cases")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	printfArg := regexp.MustCompile(`printf (?:-- )?'([^']*)'`)
	hereDoc := regexp.MustCompile(`(?s)<<'EOF'\n(.*?\n)EOF`)
	var inputs [][]byte
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		cases, err := difftest.ParseCases(file, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			for _, step := range slices.Concat(c.Setup, c.Steps) {
				if !strings.Contains(step, "ipvsadm -R") && !strings.Contains(step, "ipvsadm-restore") && !strings.Contains(step, "--restore") {
					continue
				}
				for _, m := range printfArg.FindAllStringSubmatch(step, -1) {
					out, err := exec.Command(printf, "--", m[1]).Output()
					if err != nil {
						t.Fatalf("%s: printf %q: %v", c.Name, m[1], err)
					}
					inputs = append(inputs, out)
				}
				for _, m := range hereDoc.FindAllStringSubmatch(step, -1) {
					inputs = append(inputs, []byte(m[1]))
				}
			}
		}
	}
	if len(inputs) < 50 {
		t.Fatalf("only %d restore inputs found in the corpus", len(inputs))
	}
	return inputs
}

// readerSeeds are inputs that reach every state of the Reader: the ends
// of lines and of the input after a token, a full token and blanks.
var readerSeeds = []string{
	"ipvsadm -A -t 1.1.1.1:80\n\n  \n\t-a -t 1.1.1.1:80 -r 2.2.2.2 -m\n-A ipvsadm -u 1.1.1.1:53\n",
	"-C\r\n-L\r\n",
	"-C\n-A -t 1.1.1.2:80\t",
	"-C\n-A -t 1.1.1.1:80 \t",
	"-C\n-A -t 1.1.1.3:80\r\r",
	"-C\n   ",
	"ipvsadm\nipvsadm",
	"a\x00z b\n\x00",
	strings.Repeat("b", 4096) + "c d\n",
	strings.Repeat("b", 4096) + "\n-L\n",
	"x " + strings.Repeat("b", 4096) + " " + strings.Repeat("c", 4096),
	strings.Repeat("d", 9000) + "  ",
}

// checkReader compares Reader with byteReader on in, read whole and in
// pieces of one byte (every window boundary) and with the end of the
// input coming with the last data.
func checkReader(t *testing.T, in []byte) {
	t.Helper()
	want, wantErr := byteReader(bytes.NewReader(in))
	for name, r := range map[string]io.Reader{
		"whole":    bytes.NewReader(in),
		"bytewise": iotest.OneByteReader(bytes.NewReader(in)),
		"data+EOF": iotest.DataErrReader(bytes.NewReader(in)),
	} {
		got, err := readerLines(r)
		if !cmp.Equal(got, want) || !errors.Is(err, wantErr) {
			t.Fatalf("%s Reader(%q) = %q, %v; config_stream_read gives %q, %v", name, in, got, err, want, wantErr)
		}
	}
}

// TestReaderCorpus: Reader reads every restore input of the corpus as
// config_stream_read does.
func TestReaderCorpus(t *testing.T) {
	for _, in := range corpusRestoreInputs(t) {
		checkReader(t, in)
	}
}

// FuzzReader: Reader reads any input as config_stream_read does.
func FuzzReader(f *testing.F) {
	for _, s := range readerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkReader(t, in)
		// Long tokens, from short inputs.
		checkReader(t, bytes.Repeat(in, 4096/(len(in)+1)+1))
	})
}
