package rule

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// maxToken is the width of config_stream_read's "%4096[^ \t\n\r]": longer
// tokens are split.
const maxToken = 4096

// progToken is the token restore drops wherever it appears.
const progToken = "ipvsadm"

func isRestoreSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Tokenize splits one line of restore input as the
// original's config_stream_read does: tokens are separated by blanks,
// tabs, CRs and LFs; quotes, backslashes and '#' are ordinary characters;
// a token longer than 4096 bytes becomes several (4096 bytes each, then
// the rest); a token is cut at its first NUL byte (it is a C string); and
// every token equal to "ipvsadm" is dropped. An empty result means the
// line is skipped. Tokenize does not know where the input ends; use
// Reader for whole inputs.
func Tokenize(line string) []string {
	var toks []string
	i := 0
	for i < len(line) {
		if isRestoreSpace(line[i]) {
			i++
			continue
		}
		j := i
		for j < len(line) && !isRestoreSpace(line[j]) && j-i < maxToken {
			j++
		}
		if t := cString(line[i:j]); t != progToken {
			toks = append(toks, t)
		}
		i = j
	}
	return toks
}

func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// Reader reads restore input line by line as the original does. Use
// Next until it returns io.EOF.
//
// Besides Tokenize's rules it reproduces the end-of-input quirk of the
// original's fscanf loop: when the input does not end with a newline and
// the last token of the last line is followed by two or more white-space
// characters (blank, tab or CR in any mix), that last line is dropped;
// zero or one such character is fine.
type Reader struct {
	r    *bufio.Reader
	end  bool
	line int // number of the input line last read

	// The line being read: its tokens' bytes one after the other and
	// where each ends, and the token being read; reused line after line.
	text []byte
	ends []int
	tok  []byte
	toks []string // the slice Next returns
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReader(r)} }

// Next returns the tokens of the next line that has any (lines without
// tokens are skipped, as the original skips them), or io.EOF at the end
// of the input. Other errors come from the underlying reader. The slice
// is reused by the next call; the strings in it are not.
func (r *Reader) Next() ([]string, error) {
	for !r.end {
		r.line++
		toks, err := r.readLine()
		if err != nil {
			r.end = true
			if err == io.EOF {
				break
			}
			return nil, err
		}
		if len(toks) > 0 {
			return toks, nil
		}
	}
	return nil, io.EOF
}

// Line returns the number (from 1) of the input line whose tokens Next
// returned last.
func (r *Reader) Line() int { return r.line }

// readLine is one call of config_stream_read: a (possibly empty) token
// list, or io.EOF where the original returns NULL.
func (r *Reader) readLine() ([]string, error) {
	r.text, r.ends = r.text[:0], r.ends[:0]
	ntoken := 0
	tok := r.tok[:0]
	defer func() { r.tok = tok }()
	for {
		// fscanf(stream, "%4096[^ \t\n\r]%1[ \t\n\r]", token, tail)
		c, err := r.r.ReadByte()
		if err != nil {
			if err != io.EOF {
				return nil, err
			}
			break // EOF before the first conversion
		}
		if isRestoreSpace(c) {
			// Matching failure (status 0): skip blanks, tabs and CRs up
			// to the end of the line. The end of the input here drops
			// the line.
			for {
				if isRestoreSpace(c) && c != '\n' {
					if c, err = r.r.ReadByte(); err != nil {
						if err == io.EOF {
							return nil, io.EOF
						}
						return nil, err
					}
					continue
				}
				if c == '\n' {
					return r.tokens(), nil
				}
				if err := r.r.UnreadByte(); err != nil {
					return nil, err
				}
				break
			}
			continue
		}
		tok = append(tok[:0], c)
		nul := c == 0
		newline := false
		for len(tok) < maxToken {
			c, err = r.r.ReadByte()
			if err != nil {
				if err != io.EOF {
					return nil, err
				}
				break
			}
			if isRestoreSpace(c) {
				// The %1[ \t\n\r] conversion takes this one character.
				newline = c == '\n'
				break
			}
			tok = append(tok, c)
			nul = nul || c == 0
		}
		if len(tok) == maxToken {
			// The token is full: the tail conversion reads one
			// white-space character if one follows.
			if c, err := r.r.ReadByte(); err == nil {
				if isRestoreSpace(c) {
					newline = c == '\n'
				} else if err := r.r.UnreadByte(); err != nil {
					return nil, err
				}
			} else if err != io.EOF {
				return nil, err
			}
		}
		t := tok
		if nul {
			t = t[:bytes.IndexByte(t, 0)] // a C string ends at its first NUL
		}
		if string(t) != progToken {
			r.text = append(r.text, t...)
			r.ends = append(r.ends, len(r.text))
			ntoken++
		}
		if newline {
			return r.tokens(), nil
		}
	}
	if ntoken == 0 {
		return nil, io.EOF
	}
	return r.tokens(), nil
}

// tokens returns the line's tokens as strings, which share one copy of
// the line's text.
func (r *Reader) tokens() []string {
	text := string(r.text)
	r.toks = r.toks[:0]
	start := 0
	for _, end := range r.ends {
		r.toks = append(r.toks, text[start:end])
		start = end
	}
	return r.toks
}
