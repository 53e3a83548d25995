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

// restoreSpace has the bits of the bytes that separate tokens: blank, tab,
// LF and CR.
const restoreSpace uint64 = 1<<' ' | 1<<'\t' | 1<<'\n' | 1<<'\r'

func isRestoreSpace(c byte) bool { return c <= ' ' && restoreSpace>>c&1 != 0 }

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

	// The line being read, when it is read a window at a time: its
	// tokens' bytes one after the other; reused line after line.
	text  []byte
	spans []span   // where the line's tokens are in its text
	toks  []string // the slice Next returns

	block strings.Builder // the text of the tokens handed out (see tokens)
}

// textBlock is the size of the blocks of text the Reader's tokens share.
const textBlock = 4 << 10

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReaderSize(r, readerBuffer)} }

// readerBuffer is the size of the Reader's buffer: room for many lines, so
// that lines are scanned a buffer at a time.
const readerBuffer = 64 << 10

// Next returns the tokens of the next line that has any (lines without
// tokens are skipped, as the original skips them), or io.EOF at the end
// of the input. Other errors come from the underlying reader. The slice
// is reused by the next call; the strings in it are not, but they share
// memory with other lines' strings (keeping one keeps a few kilobytes).
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

// lineState is where readLine is in the original's
// fscanf(stream, "%4096[^ \t\n\r]%1[ \t\n\r]", token, tail) loop.
type lineState int

const (
	// atCall: the next byte starts a call of fscanf.
	atCall lineState = iota
	// inSkip: the call failed to match a token (status 0); blanks, tabs
	// and CRs are skipped up to the end of the line or the next token.
	inSkip
	// inToken: a token is being read.
	inToken
	// atTail: the token is full (maxToken bytes); the tail conversion
	// takes one white-space byte if one follows.
	atTail
)

// span is where a token is in a line's text.
type span struct{ start, end int }

// readLine is one call of config_stream_read: a (possibly empty) token
// list, or io.EOF where the original returns NULL. It takes a line that is
// buffered whole at once (wholeLine) and otherwise scans the buffered
// input a window at a time (FuzzReader holds both to a transcription that
// reads a byte at a time).
func (r *Reader) readLine() ([]string, error) {
	if toks, ok := r.wholeLine(); ok {
		return toks, nil
	}
	r.text, r.spans = r.text[:0], r.spans[:0]
	st := atCall
	tokStart := 0   // where the token being read starts in r.text
	tokNUL := false // whether it has a NUL byte
	for {
		w, err := r.window()
		if err != nil {
			if err != io.EOF {
				return nil, err
			}
			switch st {
			case inSkip:
				return nil, io.EOF // the end of the input here drops the line
			case inToken, atTail:
				r.endToken(tokStart, tokNUL)
			}
			if len(r.spans) == 0 {
				return nil, io.EOF // EOF before the first conversion
			}
			return r.tokens(r.text), nil
		}
		i, eol := 0, false
		for i < len(w) && !eol {
			switch c := w[i]; st {
			case atCall:
				if isRestoreSpace(c) {
					st = inSkip
				} else {
					st, tokStart, tokNUL = inToken, len(r.text), false
				}
			case inSkip:
				switch {
				case c == '\n':
					i, eol = i+1, true
				case isRestoreSpace(c):
					i++
				default:
					st = atCall
				}
			case inToken:
				j, n, nul := i, maxToken-(len(r.text)-tokStart), false
				for ; j < len(w) && j-i < n && !isRestoreSpace(w[j]); j++ {
					nul = nul || w[j] == 0
				}
				r.text = append(r.text, w[i:j]...)
				tokNUL = tokNUL || nul
				i = j
				switch {
				case len(r.text)-tokStart == maxToken:
					st = atTail
				case i < len(w): // the tail conversion takes this white space
					r.endToken(tokStart, tokNUL)
					i, eol, st = i+1, w[i] == '\n', atCall
				}
			case atTail:
				r.endToken(tokStart, tokNUL)
				if isRestoreSpace(c) {
					i, eol = i+1, c == '\n'
				}
				st = atCall
			}
		}
		r.r.Discard(i) // never fails: i bytes are buffered
		if eol {
			return r.tokens(r.text), nil
		}
	}
}

// wholeLine reads the next line at once if the buffer holds all of it, up
// to its newline, and it is shorter than a full token, as almost every
// line is: its tokens are then its runs of bytes other than white space,
// each cut at its first NUL, "ipvsadm" dropped. Otherwise it reads nothing
// and returns false. It never reads more input: a second read after the
// end of the input would wait for more on a terminal.
func (r *Reader) wholeLine() ([]string, bool) {
	w, _ := r.r.Peek(min(r.r.Buffered(), maxToken)) // never fails: the bytes are buffered
	r.spans = r.spans[:0]
	start, end := -1, -1 // the token being scanned, and where a NUL cuts it (-1: none)
	for i, c := range w {
		if !isRestoreSpace(c) {
			if start < 0 {
				start, end = i, -1
			}
			if c == 0 && end < 0 {
				end = i
			}
			continue
		}
		if start >= 0 {
			if end < 0 {
				end = i
			}
			if string(w[start:end]) != progToken {
				r.spans = append(r.spans, span{start, end})
			}
			start = -1
		}
		if c == '\n' {
			toks := r.tokens(w[:i])
			r.r.Discard(i + 1) // never fails: the bytes are buffered
			return toks, true
		}
	}
	return nil, false
}

// window returns the buffered input, reading more if none is buffered, or
// the error that ends the input.
func (r *Reader) window() ([]byte, error) {
	if r.r.Buffered() == 0 {
		if _, err := r.r.Peek(1); err != nil {
			return nil, err
		}
	}
	return r.r.Peek(r.r.Buffered())
}

// endToken ends the token that starts at start in r.text: a C string ends
// at its first NUL (if nul says it has one), and the token "ipvsadm" is
// dropped.
func (r *Reader) endToken(start int, nul bool) {
	t := r.text[start:]
	if nul {
		t = t[:bytes.IndexByte(t, 0)]
	}
	if string(t) == progToken {
		r.text = r.text[:start]
		return
	}
	r.text = r.text[:start+len(t)]
	r.spans = append(r.spans, span{start, len(r.text)})
}

// tokens returns the tokens at r.spans in line as strings. They are
// substrings of a block of text that many lines share, so that a line
// costs no allocation of its own.
func (r *Reader) tokens(line []byte) []string {
	if r.block.Cap()-r.block.Len() < len(line) {
		r.block = strings.Builder{} // the strings handed out keep the old block
		r.block.Grow(max(textBlock, len(line)))
	}
	off := r.block.Len()
	r.block.Write(line)
	text := r.block.String()[off:] // no copy: Builder never changes what it has written
	r.toks = r.toks[:0]
	for _, s := range r.spans {
		r.toks = append(r.toks, text[s.start:s.end])
	}
	return r.toks
}
