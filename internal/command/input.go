package command

import (
	"errors"
	"fmt"
	"io"
	"syscall"
)

// inputChunk is the size of one read of restore input.
const inputChunk = 64 << 10

// input is restore input read ahead by a goroutine, so that the restore
// knows when the next read would wait: before waiting it calls idle (which
// carries out the lines parsed so far, as the original has carried each of
// them out by then), and while waiting it still sees an interruption.
// Input that is already there (a file, a fast producer) is read without
// calling idle, so lines keep going to the kernel in large batches.
type input struct {
	chunks    chan inputRead
	free      chan []byte
	done      chan struct{}
	interrupt <-chan Interruption
	idle      func() *Interruption

	rest []byte // unread part of the current chunk
	buf  []byte // the current chunk's buffer, handed back when used up
	err  error  // sticky: the reader's error, or an interruption
}

// inputRead is what one read of the underlying reader returned.
type inputRead struct {
	data []byte
	err  error
}

// newInput starts reading r. idle may be nil; an interruption it returns
// (one that arrived while it waited) ends the input as one read from
// interrupt does. Call close when done.
func newInput(r io.Reader, interrupt <-chan Interruption, idle func() *Interruption) *input {
	in := &input{
		chunks:    make(chan inputRead, 2),
		free:      make(chan []byte, 3),
		done:      make(chan struct{}),
		interrupt: interrupt,
		idle:      idle,
	}
	for range cap(in.free) {
		in.free <- make([]byte, inputChunk)
	}
	go in.readAhead(r)
	return in
}

// readAhead reads r into free buffers until an error (io.EOF included) or
// close. A read that never returns (a quiet pipe) keeps the goroutine
// until the process ends, as a blocked read would keep the process.
func (in *input) readAhead(r io.Reader) {
	for {
		var buf []byte
		select {
		case buf = <-in.free:
		case <-in.done:
			return
		}
		n, err := r.Read(buf)
		if n == 0 && err == nil {
			in.free <- buf
			continue
		}
		select {
		case in.chunks <- inputRead{buf[:n], err}:
		case <-in.done:
			return
		}
		if err != nil {
			return
		}
	}
}

// close stops the reading goroutine (unless it is blocked in a read).
func (in *input) close() { close(in.done) }

// Read implements io.Reader. An interruption is returned as an
// *interruptedError.
func (in *input) Read(p []byte) (int, error) {
	for len(in.rest) == 0 {
		if in.err != nil {
			return 0, in.err
		}
		if in.buf != nil {
			in.free <- in.buf
			in.buf = nil
		}
		select { // an interruption first, whatever else is ready
		case sig := <-in.interrupt:
			in.err = &interruptedError{sig}
			continue
		default:
		}
		var got inputRead
		select {
		case got = <-in.chunks:
		default:
			if in.idle != nil {
				if sig := in.idle(); sig != nil {
					in.err = &interruptedError{*sig}
					continue
				}
			}
			select {
			case sig := <-in.interrupt:
				in.err = &interruptedError{sig}
				continue
			case got = <-in.chunks:
			}
		}
		in.buf, in.rest = got.data[:cap(got.data)], got.data
		if got.err != nil {
			in.err = got.err
		}
	}
	n := copy(p, in.rest)
	in.rest = in.rest[n:]
	return n, nil
}

// interruptedError ends the reading of restore input when an interruption
// arrives.
type interruptedError struct{ Interruption }

func (e *interruptedError) Error() string { return "interrupted by " + e.Name }

// SystemText words an I/O error for a message: the system's text for an
// errno, with a capital as the C library writes it ("Is a directory"), or
// the error's own text.
func SystemText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" && s[0] >= 'a' && s[0] <= 'z' {
			s = string(s[0]-'a'+'A') + s[1:]
		}
		return s
	}
	return err.Error()
}

// ReadFailure is the message for restore input that could not be read
// after line (0: none read).
func ReadFailure(prog string, line int, err error) string {
	if line == 0 {
		return fmt.Sprintf("%s: reading the input: %s", prog, SystemText(err))
	}
	return fmt.Sprintf("%s: reading the input after line %d: %s", prog, line, SystemText(err))
}
