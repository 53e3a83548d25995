package cli

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// stdoutWriter buffers standard output the way C stdio does, so that output
// interleaves with (unbuffered) standard error exactly as the original's
// when both go to one pipe or file: on a terminal a line at a time,
// otherwise in blocks of the file's preferred I/O size (4096 bytes for
// pipes), the rest at exit.
type stdoutWriter struct {
	w     io.Writer
	buf   []byte
	block int  // flush whenever this many bytes are buffered
	lines bool // flush at every newline
	err   error
}

// newStdoutWriter wraps w. When w is an *os.File its kind decides the
// buffering; any other writer is block-buffered with 4096-byte blocks.
func newStdoutWriter(w io.Writer) *stdoutWriter {
	sw := &stdoutWriter{w: w, block: 4096}
	if f, ok := w.(*os.File); ok {
		fd := int(f.Fd())
		if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
			sw.lines = true
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err == nil && st.Blksize > 0 && st.Blksize <= 1<<20 {
			sw.block = int(st.Blksize)
		}
	}
	sw.buf = make([]byte, 0, sw.block)
	return sw
}

// Write buffers p, writing out full blocks (or, on a terminal, complete
// lines).
func (s *stdoutWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	s.buf = append(s.buf, p...)
	s.emitDone()
	return len(p), s.err
}

// AvailableBuffer returns an empty slice over the buffer's free space, to
// append the next write to (as bufio.Writer.AvailableBuffer), so that
// output built there is not copied again.
func (s *stdoutWriter) AvailableBuffer() []byte { return s.buf[len(s.buf):] }

// WriteString is Write for strings, without copying str first.
func (s *stdoutWriter) WriteString(str string) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	s.buf = append(s.buf, str...)
	s.emitDone()
	return len(str), s.err
}

// emitDone writes out what is ready: full blocks, or on a terminal
// complete lines.
func (s *stdoutWriter) emitDone() {
	if s.lines {
		if i := bytes.LastIndexByte(s.buf, '\n'); i >= 0 {
			s.emit(s.buf[:i+1])
			s.buf = append(s.buf[:0], s.buf[i+1:]...)
		}
		return
	}
	if n := len(s.buf) / s.block * s.block; n > 0 {
		s.emit(s.buf[:n])
		s.buf = append(s.buf[:0], s.buf[n:]...)
	}
}

// Flush writes out everything buffered.
func (s *stdoutWriter) Flush() error {
	if len(s.buf) > 0 {
		s.emit(s.buf)
		s.buf = s.buf[:0]
	}
	return s.err
}

func (s *stdoutWriter) emit(b []byte) {
	if s.err == nil {
		_, s.err = s.w.Write(b)
	}
}
