package vmtest

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"time"
)

// call hands line to handle and decodes the answer it writes.
func call(t *testing.T, handle func(string, io.Writer), m message) message {
	t.Helper()
	line, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	handle(string(line), &out)
	var a message
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &a); err != nil {
			t.Fatalf("answer %q: %v", out.String(), err)
		}
	}
	return a
}

// TestBrokerShares plays the test VM and the helper VM against a broker:
// the helper takes jobs from the end, the test runs the others itself and
// waits for a job the helper has taken but not finished.
func TestBrokerShares(t *testing.T) {
	started := 0
	b := newBroker(func() { started++ })
	call(t, b.fromTest, message{Op: "plan", Names: []string{"a", "b", "c", "d"}})
	if started != 1 {
		t.Fatalf("helper started %d times, want 1", started)
	}
	d := call(t, b.fromHelper, message{Op: "next"})
	if d.Name != "d" {
		t.Fatalf("helper's first job %q, want d", d.Name)
	}
	call(t, b.fromHelper, message{Op: "result", Gen: d.Gen, Name: "d", Data: []byte("D")})
	if a := call(t, b.fromTest, message{Op: "claim", Name: "a"}); !a.Local {
		t.Errorf("claim a: %+v, want to run it here", a)
	}
	c := call(t, b.fromHelper, message{Op: "next"})
	if c.Name != "c" {
		t.Fatalf("helper's second job %q, want c", c.Name)
	}
	answered := make(chan message)
	go func() { answered <- call(t, b.fromTest, message{Op: "claim", Name: "c"}) }()
	select {
	case a := <-answered:
		t.Fatalf("claim c answered %+v before the helper finished it", a)
	case <-time.After(50 * time.Millisecond):
	}
	call(t, b.fromHelper, message{Op: "result", Gen: c.Gen, Name: "c", Data: []byte("C")})
	if a := <-answered; a.Local || string(a.Data) != "C" {
		t.Errorf("claim c: %+v, want the helper's result", a)
	}
	if a := call(t, b.fromTest, message{Op: "claim", Name: "b"}); !a.Local {
		t.Errorf("claim b: %+v, want to run it here", a)
	}
	if a := call(t, b.fromTest, message{Op: "claim", Name: "d"}); a.Local || string(a.Data) != "D" {
		t.Errorf("claim d: %+v, want the helper's result", a)
	}
	if got, want := b.close(), "the helper VM did 2 of the 4 jobs"; got != want {
		t.Errorf("close: %q, want %q", got, want)
	}
	// The helper, waiting for work, is released without an answer.
	if a := call(t, b.fromHelper, message{Op: "next"}); a.Name != "" {
		t.Errorf("job %q after the test VM ended", a.Name)
	}
}

// TestBrokerHelperGone: a job the helper took but never finished is run
// by the test once the helper VM has ended, and a new plan drops the
// results of the old one.
func TestBrokerHelperGone(t *testing.T) {
	b := newBroker(func() {})
	call(t, b.fromTest, message{Op: "plan", Names: []string{"a", "b"}})
	old := call(t, b.fromHelper, message{Op: "next"})
	call(t, b.fromTest, message{Op: "plan", Names: []string{"a", "b"}})
	call(t, b.fromHelper, message{Op: "result", Gen: old.Gen, Name: old.Name, Data: []byte("stale")})
	job := call(t, b.fromHelper, message{Op: "next"})
	if job.Name != "b" || job.Gen == old.Gen {
		t.Fatalf("job %+v of the new plan, want b of a new generation", job)
	}
	b.helperEnded()
	if a := call(t, b.fromTest, message{Op: "claim", Name: "b"}); !a.Local {
		t.Errorf("claim b: %+v, want to run it here", a)
	}
}
