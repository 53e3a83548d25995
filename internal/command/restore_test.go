package command

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/bench"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// serverLines is a restore input that adds a service and then tries a
// change of each kind that the kernel refuses, interleaved with ones it
// makes.
const serverLines = `-A -t 1.1.1.1:80
-a -t 1.1.1.2:80 -r 2.2.2.2
-a -t 1.1.1.1:80 -r 2.2.2.2
-a -t 1.1.1.1:80 -r 2.2.2.2
-e -t 1.1.1.1:80 -r 2.2.2.3
-d -t 1.1.1.1:80 -r 2.2.2.3
-E -t 1.1.1.9:80
-D -t 1.1.1.9:80
-Z -t 1.1.1.9:80
-a -t 1.1.1.1:80 -r 2.2.2.4 -m
-e -t 1.1.1.1:80 -r 2.2.2.2 -w 3
`

// TestRestoreOnFake runs restores on the fake kernel: each error is
// printed in line order and tied to its line, the lines the kernel
// accepts are applied (the final table), and a line that stops the
// restore leaves the lines before it applied and those after it not.
//
// The outputs of the cases named after a corpus case are the real
// ipvsadm's on the real kernel: that corpus case proves ours prints the
// same (sched-edit-unknown is in services.cases, the others in
// restore.cases). Those of serverLines were printed by the real ipvsadm
// 1.31 in the test VM (restored onto an empty table, then -Sn), and so
// were all tables. --verbose is this program's own. The Try line names
// argv[0], here "ipvsadm".
func TestRestoreOnFake(t *testing.T) {
	for _, tc := range []struct {
		name           string
		start          string // the table before
		input          string
		verbose        bool
		status         int
		stdout, stderr string
		table          string // after, as fakeKernel.String
	}{{
		name:   "restore-duplicate-middle",
		input:  "-A -t 1.1.1.1:80\n-A -t 1.1.1.1:80\n-A -t 1.1.1.2:80\n",
		stderr: "Service already exists\n",
		table:  "-A -t 1.1.1.1:80 -s wlc\n-A -t 1.1.1.2:80 -s wlc\n",
	}, {
		name:   "restore-duplicate-last",
		input:  "-A -t 1.1.1.1:80\n-A -t 1.1.1.1:80\n",
		status: 255,
		stderr: "Service already exists\n",
		table:  "-A -t 1.1.1.1:80 -s wlc\n",
	}, {
		name:   "restore-popt-error-continues",
		input:  "-A -t 1.1.1.1:80\n-A -t\n-A -t 1.1.1.2\n-A -t 1.1.1.3:80\n",
		status: 2,
		stderr: "-t: missing argument\nZero port specified for non-persistent service\n",
		table:  "-A -t 1.1.1.1:80 -s wlc\n",
	}, {
		name:   "restore-validation-error-stops",
		input:  "-A -t 1.1.1.1:80\n-A -t 1.1.1.2:80 -w 5\n-A -t 1.1.1.3:80\n",
		status: 2,
		stderr: "Illegal 'weight' option with the 'add-service' command\n",
		table:  "-A -t 1.1.1.1:80 -s wlc\n",
	}, {
		name:   "restore-nested-restore",
		input:  "-A -t 1.1.1.1:80\n-R\n-A -t 1.1.1.2:80\n",
		status: 255,
		stderr: "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n",
		table:  "-A -t 1.1.1.1:80 -s wlc\n",
	}, {
		name:  "restore-clear-line",
		start: "-A -t 9.9.9.9:80\n",
		input: "-C\n-A -t 1.1.1.1:80\n",
		table: "-A -t 1.1.1.1:80 -s wlc\n",
	}, {
		name:  "restore-list-line",
		input: "-A -t 1.1.1.1:80\n-L -n\n-S -n\n",
		stdout: "IP Virtual Server version 1.2.1 (size=4096)\n" +
			"Prot LocalAddress:Port Scheduler Flags\n" +
			"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n" +
			"TCP  1.1.1.1:80 wlc\n" +
			"-A -t 1.1.1.1:80 -s wlc\n",
		table: "-A -t 1.1.1.1:80 -s wlc\n",
	}, {
		name:   "restore-list-error-stops",
		input:  "-L -n -t 1.1.1.9:80\n-A -t 1.1.1.1:80\n",
		status: 1,
		stderr: "No such service\n",
	}, {
		name:   "sched-edit-unknown",
		start:  "-A -t 10.0.0.1:80 -s rr\n",
		input:  "-E -t 10.0.0.1:80 -s nosuch\n",
		status: 255,
		stderr: "Scheduler or persistence engine not found\n",
		table:  "-A -t 10.0.0.1:80 -s rr\n",
	}, {
		name:   "refused server changes",
		input:  serverLines,
		stderr: "Service not defined\nDestination already exists\nNo such destination\nNo such destination\nNo such service\nNo such service\nNo such service\n",
		table:  "-A -t 1.1.1.1:80 -s wlc\n-a -t 1.1.1.1:80 -r 2.2.2.2:80 -g -w 3\n-a -t 1.1.1.1:80 -r 2.2.2.4:80 -m -w 1\n",
	}, {
		name:    "refused server changes, verbose",
		input:   serverLines,
		verbose: true,
		stderr: "line 2: Service not defined\nline 4: Destination already exists\nline 5: No such destination\nline 6: No such destination\n" +
			"line 7: No such service\nline 8: No such service\nline 9: No such service\n" +
			"ipvsadm: restore: 4 changes applied (the last at line 11), 7 lines failed; exit status 0\n",
		table: "-A -t 1.1.1.1:80 -s wlc\n-a -t 1.1.1.1:80 -r 2.2.2.2:80 -g -w 3\n-a -t 1.1.1.1:80 -r 2.2.2.4:80 -m -w 1\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKernel(t, tc.start)
			var stdout, stderr strings.Builder
			r := &Runner{Backend: k, Info: mustInfo(t, k), Stdout: &stdout, Stderr: &stderr, Prog: "ipvsadm", RestoreOptions: RestoreOptions{Verbose: tc.verbose}}
			st := r.Restore(strings.NewReader(tc.input))
			if st != tc.status || stdout.String() != tc.stdout || stderr.String() != tc.stderr {
				t.Errorf("status %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s", st, tc.status, stdout.String(), tc.stdout, stderr.String(), tc.stderr)
			}
			if got := k.String(); got != tc.table {
				t.Errorf("table:\n%s\nwant:\n%s", got, tc.table)
			}
		})
	}
}

func mustInfo(t *testing.T, b Backend) ipvs.Info {
	t.Helper()
	info, err := b.Info()
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// TestRestoreSetLine: --set changes the timeouts it gives and keeps those
// it gives as 0, as the real ipvsadm's -L --timeout showed after the same
// input in the test VM.
func TestRestoreSetLine(t *testing.T) {
	k := newFakeKernel(t, "")
	r := &Runner{Backend: k, Stdout: &strings.Builder{}, Stderr: &strings.Builder{}, Prog: "ipvsadm"}
	if st := r.Restore(strings.NewReader("--set 10 20 30\n--set 0 25 0\n")); st != 0 {
		t.Fatalf("status %d", st)
	}
	if want := (ipvs.Timeouts{TCP: 10 * time.Second, TCPFin: 25 * time.Second, UDP: 30 * time.Second}); k.timeouts != want {
		t.Errorf("timeouts %+v, want %+v", k.timeouts, want)
	}
}

// TestRestoreErrorsAcrossBatches fills several batches with new services,
// some added twice, and checks that each refusal is reported with its
// line and that everything else was applied, however the lines were cut
// into batches.
func TestRestoreErrorsAcrossBatches(t *testing.T) {
	var in, wantErr, wantTable strings.Builder
	line := 0
	for i := range 2*batchLimit + 100 {
		svc := fmt.Sprintf("-A -t 10.%d.%d.1:80 -s rr", i/256, i%256)
		line++
		fmt.Fprintln(&in, svc)
		fmt.Fprintln(&wantTable, svc)
		if i%700 == 699 || i == batchLimit-2 { // the copy is the batch's last line, or the next batch's first
			line++
			fmt.Fprintln(&in, svc)
			fmt.Fprintf(&wantErr, "line %d: Service already exists\n", line)
		}
	}
	fmt.Fprintf(&wantErr, "ipvsadm: restore: %d changes applied (the last at line %d), 4 lines failed; exit status 0\n", line-4, line)

	k := newFakeKernel(t, "")
	var stderr strings.Builder
	r := &Runner{Backend: k, Stderr: &stderr, Prog: "ipvsadm", RestoreOptions: RestoreOptions{Verbose: true}}
	if st := r.Restore(strings.NewReader(in.String())); st != 0 {
		t.Errorf("status %d, want 0", st)
	}
	if stderr.String() != wantErr.String() {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), wantErr.String())
	}
	if k.String() != wantTable.String() {
		t.Errorf("the table is not the input's services in order")
	}
	sent := 0
	for _, n := range k.batches {
		sent += n
	}
	if sent != line || len(k.batches) < 3 {
		t.Errorf("batches of %v changes, want at least 3 holding the %d lines", k.batches, line)
	}
}

// requestChecker is a Backend that builds each change's request as Kernel
// does and compares it with the next of want.
type requestChecker struct {
	Backend
	t     *testing.T
	batch kernelBatch
	want  []ipvs.Request
	sent  int
}

func (c *requestChecker) Changes(cs []rule.Command) []error {
	reqs, bad := c.batch.requests(cs)
	for i, err := range bad {
		c.t.Fatalf("change %d: %v", c.sent+i, err)
	}
	for i, req := range reqs {
		if n := c.sent + i; n >= len(c.want) || !reflect.DeepEqual(req, c.want[n]) {
			c.t.Fatalf("request %d differs from the floor's", n)
		}
	}
	c.sent += len(reqs)
	c.batch.enc.Reset()
	return make([]error, len(cs))
}

// TestRestoreSendsTheFloorsRequests: a restore of the bench's rule file
// builds, request for request, what the bench's floor program sends (the
// same rules encoded straight from the generator), so the kernel's share
// of the two is the same work and what ours adds is its own.
func TestRestoreSendsTheFloorsRequests(t *testing.T) {
	for _, s := range []string{"1000x1", "100x10"} {
		size, err := bench.ParseSize(s)
		if err != nil {
			t.Fatal(err)
		}
		var rules strings.Builder
		if err := size.WriteRules(&rules); err != nil {
			t.Fatal(err)
		}
		c := &requestChecker{t: t, want: size.Requests()}
		var stderr strings.Builder
		r := &Runner{Backend: c, Stderr: &stderr, Prog: "ipvsadm"}
		if st := r.Restore(strings.NewReader(rules.String())); st != 0 || stderr.Len() != 0 {
			t.Fatalf("%s: status %d, stderr %q", s, st, stderr.String())
		}
		if c.sent != len(c.want) {
			t.Errorf("%s: %d requests built, the floor sends %d", s, c.sent, len(c.want))
		}
	}
}

// TestRestoreWaitsForTheBatchSent: while a full batch is with the kernel
// the lines after it are parsed, but a line that runs on its own (here a
// listing of a service that does not exist, which ends the restore) runs
// only after the lines before it are carried out, and every message keeps
// its line's place. The kernel is made slow on each batch's first change,
// so that a restore that did not wait would print the listing's error
// before the messages of the lines before it. (The messages' words are
// the differential corpus's concern.)
func TestRestoreWaitsForTheBatchSent(t *testing.T) {
	var in strings.Builder
	for i := range batchLimit {
		fmt.Fprintf(&in, "-A -t 10.%d.%d.1:80\n", i/256, i%256)
	}
	in.WriteString(`-A -t 10.0.0.1:80
-a -t 10.0.0.1:80 -r 10.9.9.9:80 -Q
-L -n -t 10.4.0.1:80
`)
	k := newFakeKernel(t, "")
	k.beforeChange = func(n int, _ *rule.Command) {
		if n == 0 || n == batchLimit { // each batch's first
			time.Sleep(100 * time.Millisecond)
		}
	}
	var stderr strings.Builder
	r := &Runner{Backend: k, Stdout: io.Discard, Stderr: &stderr, Prog: "ipvsadm", RestoreOptions: RestoreOptions{Verbose: true}}
	if st := r.Restore(strings.NewReader(in.String())); st != 1 {
		t.Errorf("status %d, want 1 (the listing's)", st)
	}
	const want = `line 1025: Service already exists
line 1026: -Q: unknown option
No such service
ipvsadm: restore: 1024 changes applied (the last at line 1024), 2 lines failed; stopped at line 1027: -L -n -t 10.4.0.1:80; exit status 1
`
	if stderr.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), want)
	}
	if k.sent != batchLimit+1 {
		t.Errorf("%d changes sent, want %d", k.sent, batchLimit+1)
	}
}

// TestRestoreInterruptedWhileABatchIsSent: an interruption that arrives
// while the restore waits for the kernel to carry out a batch (having
// parsed the lines after it, or run out of input) ends the restore once
// that batch is carried out; the lines parsed meanwhile are not sent.
func TestRestoreInterruptedWhileABatchIsSent(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines int  // of input
		pipe  bool // the input stays open after them
	}{
		{"parsed ahead", 2*batchLimit + 10, false},
		{"waiting for input", batchLimit + 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var in strings.Builder
			for i := range tc.lines {
				fmt.Fprintf(&in, "-A -t 10.%d.%d.1:80\n", i/256, i%256)
			}
			intr := make(chan Interruption, 1)
			k := newFakeKernel(t, "")
			k.beforeChange = func(n int, _ *rule.Command) {
				if n == 0 { // the restore is waiting for this batch by now
					time.Sleep(100 * time.Millisecond)
					intr <- Interruption{Name: "SIGTERM", Status: 143}
					time.Sleep(50 * time.Millisecond)
				}
			}
			var src io.Reader = strings.NewReader(in.String())
			if tc.pipe {
				pr, pw := io.Pipe()
				defer pw.Close()
				go io.WriteString(pw, in.String())
				src = pr
			}
			var stderr strings.Builder
			r := &Runner{Backend: k, Stdout: io.Discard, Stderr: &stderr, Prog: "ipvsadm", RestoreOptions: RestoreOptions{Interrupt: intr}}
			done := make(chan int)
			go func() { done <- r.Restore(src) }()
			endsInterrupted(t, done, 143)
			want := fmt.Sprintf("ipvsadm: restore interrupted by SIGTERM: %d lines applied, the last at line %d; nothing after it was sent\n", batchLimit, batchLimit)
			if stderr.String() != want {
				t.Errorf("stderr %q, want %q", stderr.String(), want)
			}
			if k.sent != batchLimit {
				t.Errorf("%d changes sent, want the first batch's %d", k.sent, batchLimit)
			}
		})
	}
}
