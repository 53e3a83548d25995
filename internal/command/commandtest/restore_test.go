package commandtest

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ipvsadm-go/ipvsadm/internal/command"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// newRunner returns a Runner on a fresh namespace holding the rules of
// setup (restored with the plain -R).
func newRunner(t *testing.T, setup string) (*command.Runner, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	r, stdout, stderr, _ := newRunnerIn(t, setup)
	return r, stdout, stderr
}

// newRunnerIn is newRunner, also returning the namespace.
func newRunnerIn(t *testing.T, setup string) (*command.Runner, *bytes.Buffer, *bytes.Buffer, *vmtest.NetNS) {
	t.Helper()
	ns := vmtest.NewNetNS(t)
	c, err := ipvs.Dial(&ipvs.Config{NetNS: ns.FD()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r, stdout, stderr := runner(t, &counting{Kernel: command.Kernel{Client: c}}, ns, viaTables)
	if setup != "" {
		if st := r.Restore(strings.NewReader(setup)); st != 0 || stderr.Len() != 0 {
			t.Fatalf("setup: status %d, stderr %q", st, stderr)
		}
	}
	return r, stdout, stderr, ns
}

// save is -Sn of the runner's table.
func save(t *testing.T, r *command.Runner, stdout *bytes.Buffer) string {
	t.Helper()
	stdout.Reset()
	if st := r.Main([]string{"-Sn"}); st != 0 {
		t.Fatalf("-Sn: status %d", st)
	}
	return stdout.String()
}

func TestRestoreTestMode(t *testing.T) {
	const kernel = "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1\n"
	input := strings.Join([]string{
		"-A -t 10.0.0.2:80 -s wlc",         // 1 fine
		"-a -t 10.0.0.2:80 -r 10.0.1.2 -m", // 2 fine: service from line 1
		"-a -t 10.0.0.3:80 -r 10.0.1.3 -m", // 3 service not defined anywhere
		"-A -t 10.0.0.1:80 -s rr",          // 4 already in the kernel
		"-a -t 10.0.0.1:80 -r 10.0.1.1 -m", // 5 destination already in the kernel
		"",                                 // 6 blank
		"-A -t 10.0.0.4:80 --bogus",        // 7 option error: the restore goes on
		"-d -t 10.0.0.2:80 -r 10.0.1.9",    // 8 no such destination
		"-A -t 10.0.0.5",                   // 9 zero port: the restore stops here
		"-D -t 10.0.0.2:80",                // 10 fine
		"-e -t 10.0.0.2:80 -r 10.0.1.2 -m", // 11 service deleted on line 10
	}, "\n") + "\n"
	r, stdout, stderr := newRunner(t, kernel)
	before := save(t, r, stdout)
	r.RestoreOptions.Test = true
	status := r.Restore(strings.NewReader(input))
	want := strings.Join([]string{
		"line 3: Service not defined",
		"line 4: Service already exists",
		"line 5: Destination already exists",
		"line 7: --bogus: unknown option",
		"line 8: No such destination",
		"line 9: Zero port specified for non-persistent service (the restore stops here with status 2)",
		"line 11: Service not defined",
		"ipvsadm: checked 10 lines: 7 problems",
	}, "\n") + "\n"
	if diff := cmp.Diff(want, stderr.String()); status != 1 || diff != "" {
		t.Errorf("status %d, stderr (-want +got):\n%s", status, diff)
	}
	if after := save(t, r, stdout); after != before {
		t.Errorf("--test changed the kernel's table:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// A clean file passes, and FromEmpty (ipvsadm-restore clears first)
	// does not see the kernel's services.
	stderr.Reset()
	r.RestoreOptions.FromEmpty = true
	if st := r.Restore(strings.NewReader(kernel)); st != 0 || stderr.String() != "ipvsadm: checked 2 lines: 0 problems\n" {
		t.Errorf("clean input: status %d, stderr %q", st, stderr)
	}
}

func TestRestoreVerbose(t *testing.T) {
	r, stdout, stderr := newRunner(t, "")
	r.RestoreOptions.Verbose = true
	input := "-A -t 10.0.0.1:80\n-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.1.1 -m\n-A -t 10.0.0.2:80 --bogus\n-A -t 10.0.0.3\n-A -t 10.0.0.4:80\n"
	status := r.Restore(strings.NewReader(input))
	want := "line 2: Service already exists\n" +
		"line 4: --bogus: unknown option\n" +
		"line 5: Zero port specified for non-persistent service\n" +
		"ipvsadm: restore: 2 changes applied (the last at line 3), 2 lines failed; stopped at line 5: -A -t 10.0.0.3; exit status 2\n"
	if diff := cmp.Diff(want, stderr.String()); status != 2 || diff != "" {
		t.Errorf("status %d, stderr (-want +got):\n%s", status, diff)
	}
	if got, want := save(t, r, stdout), "-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1\n"; got != want {
		t.Errorf("table after the restore:\n%s\nwant:\n%s", got, want)
	}
}

// TestRestoreInterrupted delivers an interruption before the input is
// read: nothing may be applied, and the report says so.
func TestRestoreInterrupted(t *testing.T) {
	r, stdout, stderr := newRunner(t, "")
	intr := make(chan command.Interruption, 1)
	intr <- command.Interruption{Name: "interrupt", Status: 130}
	r.RestoreOptions.Interrupt = intr
	status := r.Restore(strings.NewReader("-A -t 10.0.0.1:80\n"))
	if status != 130 || !strings.Contains(stderr.String(), "restore interrupted by interrupt: no lines applied\n") {
		t.Errorf("status %d, stderr %q", status, stderr)
	}
	if got := save(t, r, stdout); got != "" {
		t.Errorf("an interrupted restore applied:\n%s", got)
	}
}

// TestRestoreAcrossBatchesLineByLine: a restore of several batches' worth
// of lines, with lines the kernel refuses every few lines (so on either
// side of every batch boundary), prints what the same lines print carried
// out one invocation at a time, and leaves the same table. The package's
// VM has two CPUs where the host has them, so the restore parses each
// batch while the kernel carries out the one before.
func TestRestoreAcrossBatchesLineByLine(t *testing.T) {
	var lines []string
	for i := range 2600 {
		svc := fmt.Sprintf("-A -t 10.%d.%d.1:80 -s rr", i/256, i%256)
		lines = append(lines, svc)
		if i%7 == 0 { // the service again, and a server of a missing one
			lines = append(lines, svc, fmt.Sprintf("-a -t 10.99.%d.1:80 -r 10.0.0.1:80 -m", i%256))
		}
	}
	input := strings.Join(lines, "\n") + "\n"
	t.Logf("%d CPUs in the VM", runtime.NumCPU())

	r, stdout, stderr := newRunner(t, "")
	status := r.Restore(strings.NewReader(input))
	gotErr, gotTable := stderr.String(), save(t, r, stdout)

	one, oneStdout, oneStderr := newRunner(t, "")
	oneStatus := 0
	for _, l := range lines {
		oneStatus = one.Main(strings.Fields(l))
	}
	wantErr, wantTable := oneStderr.String(), save(t, one, oneStdout)

	if status != oneStatus {
		t.Errorf("status %d, line by line %d", status, oneStatus)
	}
	if diff := cmp.Diff(wantErr, gotErr); diff != "" {
		t.Errorf("stderr (-line by line +restore):\n%s", diff)
	}
	if n := strings.Count(gotErr, "\n"); n != 2*372 {
		t.Errorf("%d messages, want two for each of 372 services", n)
	}
	if gotTable != wantTable {
		t.Errorf("the tables differ")
	}
}
