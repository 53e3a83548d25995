package command

import (
	"strings"
	"testing"
)

// checkInput is restore input with a line of every kind for --test: the
// problems depend on the table it starts from.
const checkInput = `-a -t 10.0.0.1:80 -r 10.1.0.1
-d -t 10.0.0.1:80 -r 10.1.0.1
-d -t 10.0.0.1:80 -r 10.1.0.1
-e -t 10.0.0.1:80 -r 10.1.0.1
-E -t 10.0.0.1:80 -s rr
-Z -t 10.0.0.1:80
-D -t 10.0.0.1:80
-Z -t 10.0.0.1:80
-A -t 10.0.0.1:80
-A -t 10.0.0.1:80
-C
-a -t 10.0.0.1:80 -r 10.1.0.1
-Z
--set 1 2 3
-A -t
-R
-v
`

// TestCheckOnFake runs --test on the fake kernel: each line is checked
// against the table as the lines before it left it, starting from the
// kernel's table or, with FromEmpty, from an empty one, and the kernel's
// table is neither changed nor sent anything.
func TestCheckOnFake(t *testing.T) {
	const start = "-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.1.0.1:80 -g -w 1\n"
	for _, tc := range []struct {
		name      string
		fromEmpty bool
		status    int
		stderr    string
	}{{
		name:   "from the kernel's table",
		status: 1,
		stderr: "line 1: Destination already exists\n" +
			"line 3: No such destination\n" +
			"line 4: No such destination\n" +
			"line 8: No such service\n" +
			"line 10: Service already exists\n" +
			"line 12: Service not defined\n" +
			"line 15: -t: missing argument\n" +
			"line 16: -R inside restore input: the restore stops here with status 255\n" +
			"line 17: version inside restore input: the restore prints it and stops here with status 0\n" +
			"ipvsadm: checked 17 lines: 9 problems\n",
	}, {
		name:      "from an empty table",
		fromEmpty: true,
		status:    1,
		stderr: "line 1: Service not defined\n" +
			"line 2: Service not defined\n" +
			"line 3: Service not defined\n" +
			"line 4: Service not defined\n" +
			"line 5: No such service\n" +
			"line 6: No such service\n" +
			"line 7: No such service\n" +
			"line 8: No such service\n" +
			"line 10: Service already exists\n" +
			"line 12: Service not defined\n" +
			"line 15: -t: missing argument\n" +
			"line 16: -R inside restore input: the restore stops here with status 255\n" +
			"line 17: version inside restore input: the restore prints it and stops here with status 0\n" +
			"ipvsadm: checked 17 lines: 13 problems\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKernel(t, start)
			var stdout, stderr strings.Builder
			r := &Runner{Backend: k, Stdout: &stdout, Stderr: &stderr, Prog: "ipvsadm", RestoreOptions: RestoreOptions{Test: true, FromEmpty: tc.fromEmpty}}
			st := r.Restore(strings.NewReader(checkInput))
			if st != tc.status || stdout.Len() != 0 || stderr.String() != tc.stderr {
				t.Errorf("status %d, want %d, stdout %q\nstderr:\n%s\nwant:\n%s", st, tc.status, stdout.String(), stderr.String(), tc.stderr)
			}
			if k.sent != 0 || k.String() != start {
				t.Errorf("the check sent %d changes; table:\n%s", k.sent, k.String())
			}
		})
	}
}

// TestCheckAgreesWithRestore: for input whose lines all parse, --test
// reports a problem on exactly the lines on which a restore onto the same
// table fails, with the restore's message.
func TestCheckAgreesWithRestore(t *testing.T) {
	for _, tc := range []struct{ start, input string }{
		{"", serverLines},
		{"-A -t 1.1.1.1:80\n-a -t 1.1.1.1:80 -r 2.2.2.2\n", serverLines},
		{"-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.1.0.1:80\n", strings.Join(strings.Split(checkInput, "\n")[:14], "\n")},
	} {
		check := newFakeKernel(t, tc.start)
		var checked strings.Builder
		r := &Runner{Backend: check, Stderr: &checked, Prog: "ipvsadm", RestoreOptions: RestoreOptions{Test: true}}
		r.Restore(strings.NewReader(tc.input))

		restore := newFakeKernel(t, tc.start)
		var restored strings.Builder
		r = &Runner{Backend: restore, Stderr: &restored, Prog: "ipvsadm", RestoreOptions: RestoreOptions{Verbose: true}}
		r.Restore(strings.NewReader(tc.input))

		got, _, _ := strings.Cut(checked.String(), "ipvsadm: checked")
		want, _, _ := strings.Cut(restored.String(), "ipvsadm: restore:")
		if got != want {
			t.Errorf("start %q: --test reported\n%s\nthe restore failed with\n%s", tc.start, got, want)
		}
	}
}
