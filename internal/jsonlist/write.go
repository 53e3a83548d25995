package jsonlist

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// indent is the indentation of one level.
const indent = "  "

// ArrayWriter writes a document whose last member is an array one element
// at a time, so that memory does not grow with the array. The bytes are
// those json.Encoder would write for the whole document with the same
// settings (two-blank indentation, HTML characters not escaped). After an
// error every method returns it again.
type ArrayWriter[T any] struct {
	bw  *bufio.Writer
	enc *json.Encoder
	buf bytes.Buffer
	n   int // elements written
	err error
}

// NewServicesWriter begins a services document on w (nothing is written
// to w before the first flush, that is before Close or Fail, or once 32
// KiB are buffered).
func NewServicesWriter(w io.Writer, info IPVS) (*ArrayWriter[Service], error) {
	return newArrayWriter[Service](w, struct {
		Schema  string `json:"schema"`
		Version int    `json:"version"`
		IPVS    IPVS   `json:"ipvs"`
	}{SchemaServices, Version, info}, "services")
}

// NewConnectionsWriter begins a connections document on w.
func NewConnectionsWriter(w io.Writer) (*ArrayWriter[Connection], error) {
	return newArrayWriter[Connection](w, struct {
		Schema  string `json:"schema"`
		Version int    `json:"version"`
	}{SchemaConnections, Version}, "connections")
}

// newArrayWriter writes head (a struct of the members before the array)
// and the opening of the array member named name.
func newArrayWriter[T any](w io.Writer, head any, name string) (*ArrayWriter[T], error) {
	a := &ArrayWriter[T]{bw: bufio.NewWriterSize(w, 32<<10)}
	a.enc = json.NewEncoder(&a.buf)
	a.enc.SetEscapeHTML(false)
	a.enc.SetIndent("", indent)
	if err := a.enc.Encode(head); err != nil {
		return nil, fmt.Errorf("encoding the document's head: %w", err)
	}
	// Drop the closing "\n}\n" of the head object and go on with the
	// array member.
	b := bytes.TrimSuffix(a.buf.Bytes(), []byte("\n}\n"))
	a.bw.Write(b)
	a.bw.WriteString(",\n" + indent + `"` + name + `": [`)
	a.enc.SetIndent(indent+indent, indent)
	return a, nil
}

// Write adds one element to the array.
func (a *ArrayWriter[T]) Write(v *T) error {
	if a.err != nil {
		return a.err
	}
	a.buf.Reset()
	if err := a.enc.Encode(v); err != nil {
		a.err = fmt.Errorf("encoding JSON: %w", err)
		return a.err
	}
	if a.n == 0 {
		a.bw.WriteString("\n" + indent + indent)
	} else {
		a.bw.WriteString(",\n" + indent + indent)
	}
	a.n++
	b := a.buf.Bytes()
	_, a.err = a.bw.Write(b[:len(b)-1]) // without the encoder's newline
	return a.err
}

// Close ends the array and the document and flushes.
func (a *ArrayWriter[T]) Close() error {
	return a.end("")
}

// Fail ends the array and the document with an "error" member holding
// msg, and flushes: the output stays valid JSON but says that it is
// incomplete.
func (a *ArrayWriter[T]) Fail(msg string) error {
	return a.end(msg)
}

func (a *ArrayWriter[T]) end(msg string) error {
	if a.err != nil {
		return a.err
	}
	if a.n > 0 {
		a.bw.WriteString("\n" + indent)
	}
	a.bw.WriteByte(']')
	if msg != "" {
		a.buf.Reset()
		a.enc.SetIndent("", "")
		a.enc.Encode(msg) // a string always encodes
		b := a.buf.Bytes()
		a.bw.WriteString(",\n" + indent + `"error": `)
		a.bw.Write(b[:len(b)-1])
	}
	a.bw.WriteString("\n}\n")
	if a.err = a.bw.Flush(); a.err != nil {
		return a.err
	}
	a.err = errClosed
	return nil
}

// errClosed is returned by an ArrayWriter used after Close or Fail.
var errClosed = errors.New("jsonlist: document already ended")

// WriteTimeout writes the document of -L --timeout.
func WriteTimeout(w io.Writer, t Timeout) error {
	return writeDocument(w, TimeoutDocument{Schema: SchemaTimeout, Version: Version, Timeout: t})
}

// WriteDaemons writes the document of -L --daemon (ds may be nil).
func WriteDaemons(w io.Writer, ds []Daemon) error {
	if ds == nil {
		ds = []Daemon{}
	}
	return writeDocument(w, Daemons{Schema: SchemaDaemons, Version: Version, Daemons: ds})
}

// writeDocument writes v with the layout of every document.
func writeDocument(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding JSON: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
