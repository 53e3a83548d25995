package vmtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
)

// Sharing jobs with a second VM.
//
// Some tests are many independent jobs that must not run at the same time
// in one kernel (the differential corpus: a service dump in one namespace
// can repeat or miss a service while another namespace changes its
// table), yet could run in two kernels at once. A package opts in with
// WithHelperVM(run). When a test in the VM then calls ShareJobs with the
// names of its jobs, the host boots a second VM (the helper) from the same
// files, in which Main calls run for one job after another instead of
// running tests. The test goes through the jobs in its order with
// Jobs.Do; the helper takes them from the end of the list; each job runs
// once, in one of the two VMs, and Do returns its result either way. The
// two meet in the middle, so the jobs take about half the time.
//
// The guests talk to the host over the serial port that carries the test
// output: a guest writes a control line (controlMarker and a JSON
// message) and reads the host's answer, one JSON line, from the port.

const (
	// controlMarker starts a line from a guest to the host's job broker.
	controlMarker = "@@VMTEST-CTL "
	// helperEnv is "1" in the helper VM.
	helperEnv = "VMTEST_HELPER"
	// jobsEnv is "1" in a VM whose host shares jobs with a helper.
	jobsEnv = "VMTEST_JOBS"
	// guestSerial is the guest's end of the serial port that /init gives
	// the test's output (see init.sh); the host answers on it.
	guestSerial = "/dev/ttyS1"
)

// WithHelperVM lets tests share jobs (ShareJobs) with a helper VM that
// runs each job it is given with run and hands its result back. Pass the
// same option on the host and in the guest (run is called in the helper).
func WithHelperVM(run func(name string) []byte) Option {
	return func(vm *VM) { vm.helperJob = run }
}

// message is one control line, in either direction.
type message struct {
	// Op is what a guest asks: "plan" (the test's jobs are Names),
	// "claim" (the test wants Name's result), "next" (the helper wants
	// a job) or "result" (the helper ran Name, of plan Gen).
	Op    string   `json:"op,omitempty"`
	Names []string `json:"names,omitempty"`
	Name  string   `json:"name,omitempty"`
	Gen   int      `json:"gen,omitempty"`
	Data  []byte   `json:"data,omitempty"`
	// Local answers a claim: no one has run the job yet, so the test
	// runs it; otherwise Data is the helper's result.
	Local bool `json:"local,omitempty"`
}

// channel is a guest's line to the host.
type channel struct {
	f  *os.File
	in *bufio.Reader
}

func openChannel() (*channel, error) {
	f, err := os.OpenFile(guestSerial, os.O_RDONLY|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("vmtest: opening the line to the host: %w", err)
	}
	return &channel{f: f, in: bufio.NewReaderSize(f, 64<<10)}, nil
}

// send writes m to the host.
func (c *channel) send(m message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(os.Stdout, "%s%s\n", controlMarker, b); err != nil {
		return fmt.Errorf("vmtest: writing to the host: %w", err)
	}
	return nil
}

// call sends m and returns the host's answer.
func (c *channel) call(m message) (message, error) {
	var reply message
	if err := c.send(m); err != nil {
		return reply, err
	}
	line, err := c.in.ReadBytes('\n')
	if err != nil {
		return reply, fmt.Errorf("vmtest: reading from the host: %w", err)
	}
	if err := json.Unmarshal(line, &reply); err != nil {
		return reply, fmt.Errorf("vmtest: reading from the host: %w", err)
	}
	return reply, nil
}

// Jobs are a test's named jobs, shared with the helper VM.
type Jobs struct {
	ch *channel // nil without a helper: every job runs here
}

// ShareJobs announces the jobs a test is about to do, in its order, and
// starts the helper VM on them. Without WithHelperVM (or outside Main's
// VM) there is no helper and Do runs every job itself. Close the Jobs
// when done.
func ShareJobs(names []string) (*Jobs, error) {
	if os.Getenv(jobsEnv) != "1" {
		return &Jobs{}, nil
	}
	ch, err := openChannel()
	if err != nil {
		return nil, err
	}
	if err := ch.send(message{Op: "plan", Names: names}); err != nil {
		ch.f.Close()
		return nil, err
	}
	return &Jobs{ch: ch}, nil
}

// Do returns the result of the job name: local's, when the helper has
// not taken the job, or else the helper's, once it has one.
func (j *Jobs) Do(name string, local func() []byte) ([]byte, error) {
	if j.ch == nil {
		return local(), nil
	}
	reply, err := j.ch.call(message{Op: "claim", Name: name})
	if err != nil {
		return nil, err
	}
	if reply.Local {
		return local(), nil
	}
	return reply.Data, nil
}

// Close closes the line to the host.
func (j *Jobs) Close() error {
	if j.ch == nil {
		return nil
	}
	return j.ch.f.Close()
}

// serveJobs is Main in the helper VM: it runs the jobs the host hands it
// until the host stops the VM.
func serveJobs(run func(name string) []byte) int {
	ch, err := openChannel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for {
		job, err := ch.call(message{Op: "next"})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		data := run(job.Name)
		if err := ch.send(message{Op: "result", Gen: job.Gen, Name: job.Name, Data: data}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
}

// broker hands out the jobs of the test VM's latest plan, on the host.
type broker struct {
	mu      sync.Mutex
	changed *sync.Cond
	gen     int               // the plan's number: results of older plans are dropped
	plan    []string          // the jobs in the test's order
	next    int               // the helper takes plan[next], then the ones before it
	owner   map[string]string // "test" or "helper", once one has taken the job
	results map[string][]byte // the helper's results
	// helperGone is set when the helper VM has ended (or failed to boot):
	// the test then runs the jobs the helper took but did not finish.
	helperGone bool
	closed     bool // the test VM has ended
	started    bool // the helper has been booted
	// claimed and byHelper count the jobs the test asked for, and those
	// of them the helper ran.
	claimed, byHelper int

	startHelper func() // boots the helper VM, in the background
}

func newBroker(startHelper func()) *broker {
	b := &broker{startHelper: startHelper}
	b.changed = sync.NewCond(&b.mu)
	return b
}

// decode reads a control line of a guest (who), saying on stderr what
// is wrong with a line it cannot read.
func decode(who, line string) (message, bool) {
	var m message
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		fmt.Fprintf(os.Stderr, "vmtest: bad control line from %s: %v\n", who, err)
		return m, false
	}
	return m, true
}

// reply writes m to a guest.
func reply(w io.Writer, m message) {
	b, _ := json.Marshal(m)
	w.Write(append(b, '\n')) // a VM that ended reads nothing more
}

// fromTest handles a control line of the test VM.
func (b *broker) fromTest(line string, answer io.Writer) {
	m, ok := decode("the test VM", line)
	if !ok {
		return
	}
	switch m.Op {
	case "plan":
		b.mu.Lock()
		b.gen++
		b.plan, b.next = m.Names, len(m.Names)-1
		b.owner, b.results = map[string]string{}, map[string][]byte{}
		start := !b.started
		b.started = true
		b.changed.Broadcast()
		b.mu.Unlock()
		if start {
			b.startHelper()
		}
	case "claim":
		b.mu.Lock()
		for b.owner[m.Name] == "helper" && b.results[m.Name] == nil && !b.helperGone {
			b.changed.Wait()
		}
		a := message{Local: true}
		if data, ok := b.results[m.Name]; ok {
			a = message{Data: data}
			b.byHelper++
		} else {
			b.owner[m.Name] = "test"
		}
		b.claimed++
		b.mu.Unlock()
		reply(answer, a)
	}
}

// fromHelper handles a control line of the helper VM.
func (b *broker) fromHelper(line string, answer io.Writer) {
	m, ok := decode("the helper VM", line)
	if !ok {
		return
	}
	switch m.Op {
	case "next":
		b.mu.Lock()
		for !b.closed {
			for b.next >= 0 && b.owner[b.plan[b.next]] != "" {
				b.next--
			}
			if b.next >= 0 {
				break
			}
			b.changed.Wait()
		}
		if b.closed {
			b.mu.Unlock()
			return
		}
		name := b.plan[b.next]
		b.owner[name] = "helper"
		a := message{Gen: b.gen, Name: name}
		b.mu.Unlock()
		reply(answer, a)
	case "result":
		b.mu.Lock()
		if m.Gen == b.gen && b.owner[m.Name] == "helper" {
			if m.Data == nil {
				m.Data = []byte{}
			}
			b.results[m.Name] = m.Data
			b.changed.Broadcast()
		}
		b.mu.Unlock()
	}
}

// helperEnded records that the helper VM is gone.
func (b *broker) helperEnded() {
	b.mu.Lock()
	b.helperGone = true
	b.changed.Broadcast()
	b.mu.Unlock()
}

// close records that the test VM has ended, releasing a helper waiting
// for work, and says how the jobs were shared (nothing when no test
// shared any).
func (b *broker) close() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.changed.Broadcast()
	if !b.started {
		return ""
	}
	return fmt.Sprintf("the helper VM did %d of the %d jobs", b.byHelper, b.claimed)
}
