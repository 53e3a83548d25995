package command

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// servers makes masquerading servers 10.1.0.N:80 with weight 1.
func servers(ns ...byte) []ipvs.Destination {
	var ds []ipvs.Destination
	for _, n := range ns {
		ds = append(ds, ipvs.Destination{Family: ipvs.INET, Addr: netip.AddrFrom4([4]byte{10, 1, 0, n}), Port: 80, Method: ipvs.Masquerade, Weight: 1})
	}
	return ds
}

// TestPlanServers checks the server changes for orders and settings: the
// servers kept are the longest start of the wanted order found in the
// kernel's order, so that the final order is the wanted one.
func TestPlanServers(t *testing.T) {
	svc := ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}, Scheduler: "rr", Netmask: 0xffffffff}
	heavy := servers(2)
	heavy[0].Weight = 5
	for _, tc := range []struct {
		name       string
		have, want []ipvs.Destination
		plan       []string
	}{
		{"same", servers(1, 2, 3), servers(1, 2, 3), nil},
		{"added at the end", servers(1, 2), servers(1, 2, 3), []string{"-a -t 10.0.0.1:80 -r 10.1.0.3:80 -m -w 1"}},
		{"removed", servers(1, 2, 3), servers(1, 3), []string{"-d -t 10.0.0.1:80 -r 10.1.0.2:80"}},
		{"inserted in the middle", servers(1, 3), servers(1, 2, 3), []string{
			"-d -t 10.0.0.1:80 -r 10.1.0.3:80",
			"-a -t 10.0.0.1:80 -r 10.1.0.2:80 -m -w 1",
			"-a -t 10.0.0.1:80 -r 10.1.0.3:80 -m -w 1",
		}},
		{"swapped", servers(1, 2, 3), servers(1, 3, 2), []string{
			"-d -t 10.0.0.1:80 -r 10.1.0.2:80",
			"-a -t 10.0.0.1:80 -r 10.1.0.2:80 -m -w 1",
		}},
		{"weight changed", servers(1, 2), append(servers(1), heavy...), []string{"-e -t 10.0.0.1:80 -r 10.1.0.2:80 -m -w 5"}},
		{"all new", nil, servers(1), []string{"-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 1"}},
	} {
		var got []string
		for _, c := range planServers(svc, tc.have, tc.want) {
			got = append(got, rule.FormatChange(&c, nil))
		}
		if strings.Join(got, "\n") != strings.Join(tc.plan, "\n") {
			t.Errorf("%s: plan\n%s\nwant\n%s", tc.name, strings.Join(got, "\n"), strings.Join(tc.plan, "\n"))
		}
	}
}

// TestConvergeRefusesBadInput checks that an input with problems is
// reported line by line and nothing is read from or sent to the kernel.
func TestConvergeRefusesBadInput(t *testing.T) {
	var stderr strings.Builder
	r := &Runner{Stderr: &stderr, Prog: "ipvsadm", RestoreOptions: RestoreOptions{Converge: true}}
	input := "-A -t 10.0.0.1:80\n-a -t 10.0.0.2:80 -r 10.1.0.1\n-A -t 10.0.0.1:80\n--set 1 2 3\n-A -t 10.0.0.3:80 --bogus\n"
	if st := r.Restore(strings.NewReader(input)); st != 1 {
		t.Errorf("status %d, want 1", st)
	}
	want := "line 2: Service not defined\n" +
		"line 3: Service already exists\n" +
		"line 4: set is not a change to the table: converging does not carry it out\n" +
		"line 5: --bogus: unknown option\n" +
		"ipvsadm: 4 problems in the input: nothing was changed\n"
	if stderr.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), want)
	}
}

// TestConvergeSummary checks the summary's counts and grammar: a real run
// counts the changes made, not those the kernel refused, and says how many
// it refused; a dry run counts the planned changes and says so; a count of
// one takes the singular.
//
// The kernel refuses a planned change here because another program
// changed the table first (meanwhile).
func TestConvergeSummary(t *testing.T) {
	const old = "-A -t 10.0.0.1:80 -s rr\n"
	const twoServers = "-A -t 10.0.0.9:80 -s rr\n-a -t 10.0.0.9:80 -r 10.1.0.1\n-a -t 10.0.0.9:80 -r 10.1.0.2\n"
	var many strings.Builder
	many.WriteString("-A -f 2147483648 -s rr\n")
	for i := range batchLimit + 5 {
		fmt.Fprintf(&many, "-a -f 2147483648 -r 10.%d.%d.1\n", i/256, i%256)
	}
	for _, tc := range []struct {
		name      string
		have      string
		input     string
		dryRun    bool
		meanwhile map[int]string // before change n, another program carries out the line
		interrupt *Interruption  // before the input is read
		onRead    *Interruption  // when the kernel's table is read
		after     *Interruption  // with the first batch's last change
		status    int
		stdout    string
		stderr    string
	}{{
		name:   "all made",
		have:   old,
		input:  twoServers,
		stderr: "ipvsadm: converge: 4 changes made for 1 service: services 1 added, 0 edited, 1 deleted; servers 2 added, 0 edited, 0 deleted; 0 refused\n",
	}, {
		name:      "one refused",
		have:      old,
		input:     twoServers,
		meanwhile: map[int]string{2: "-a -t 10.0.0.9:80 -r 10.1.0.1"},
		status:    1,
		stderr: "ipvsadm: -a -t 10.0.0.9:80 -r 10.1.0.1:80 -g -w 1: Destination already exists\n" +
			"ipvsadm: converge: 3 changes made for 1 service: services 1 added, 0 edited, 1 deleted; servers 1 added, 0 edited, 0 deleted; 1 refused\n",
	}, {
		name:      "all refused",
		input:     "-A -f 2147483648 -s rr\n",
		meanwhile: map[int]string{0: "-A -f 2147483648 -s rr"},
		status:    1,
		stderr: "ipvsadm: -A -f 2147483648 -s rr: Service already exists\n" +
			"ipvsadm: converge: 0 changes made for 1 service: services 0 added, 0 edited, 0 deleted; servers 0 added, 0 edited, 0 deleted; 1 refused\n",
	}, {
		name:   "one made",
		input:  "-A -f 2147483648 -s rr\n",
		stderr: "ipvsadm: converge: 1 change made for 1 service: services 1 added, 0 edited, 0 deleted; servers 0 added, 0 edited, 0 deleted; 0 refused\n",
	}, {
		name:   "nothing to do",
		have:   old,
		input:  "-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.2:80 -s rr\n",
		stderr: "ipvsadm: converge: 1 change made for 2 services: services 1 added, 0 edited, 0 deleted; servers 0 added, 0 edited, 0 deleted; 0 refused\n",
	}, {
		name:   "empty input",
		have:   old,
		input:  "",
		stderr: "ipvsadm: converge: 1 change made for 0 services: services 0 added, 0 edited, 1 deleted; servers 0 added, 0 edited, 0 deleted; 0 refused\n",
	}, {
		name:   "dry run counts planned changes",
		have:   old,
		input:  twoServers,
		dryRun: true,
		stdout: "-D -t 10.0.0.1:80\n-A -t 10.0.0.9:80 -s rr\n-a -t 10.0.0.9:80 -r 10.1.0.1:80 -g -w 1\n-a -t 10.0.0.9:80 -r 10.1.0.2:80 -g -w 1\n",
		stderr: "ipvsadm: converge: 4 changes planned for 1 service: services 1 added, 0 edited, 1 deleted; servers 2 added, 0 edited, 0 deleted (dry run: nothing changed)\n",
	}, {
		name:   "dry run of one change",
		input:  "-A -f 2147483648 -s rr\n",
		dryRun: true,
		stdout: "-A -f 2147483648 -s rr\n",
		stderr: "ipvsadm: converge: 1 change planned for 1 service: services 1 added, 0 edited, 0 deleted; servers 0 added, 0 edited, 0 deleted (dry run: nothing changed)\n",
	}, {
		name:      "interrupted while reading the input",
		input:     "-A -f 2147483648 -s rr\n",
		interrupt: &Interruption{Name: "SIGTERM", Status: 143},
		status:    143,
		stderr:    "ipvsadm: interrupted by SIGTERM while reading the input; nothing was changed\n",
	}, {
		name:   "interrupted before the first batch",
		input:  "-A -f 2147483648 -s rr\n",
		onRead: &Interruption{Name: "SIGTERM", Status: 143},
		status: 143,
		stderr: "ipvsadm: converge interrupted by SIGTERM: 0 of 1 change made, 0 refused; nothing after them was sent\n",
	}, {
		name:      "interrupted after a partly refused batch",
		have:      old,
		input:     many.String(),
		meanwhile: map[int]string{5: "-a -f 2147483648 -r 10.0.3.1"},
		after:     &Interruption{Name: "SIGINT", Status: 130},
		status:    130,
		stderr: "ipvsadm: -a -f 2147483648 -r 10.0.3.1:0 -g -w 1: Destination already exists\n" +
			fmt.Sprintf("ipvsadm: converge interrupted by SIGINT: %d of %d changes made, 1 refused; nothing after them was sent\n", batchLimit-1, batchLimit+7),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKernel(t, tc.have)
			interrupt := make(chan Interruption, 1)
			if tc.interrupt != nil {
				interrupt <- *tc.interrupt
			}
			if tc.onRead != nil {
				k.onRead = func() { interrupt <- *tc.onRead; k.onRead = nil }
			}
			k.beforeChange = func(n int, _ *rule.Command) {
				if line, ok := tc.meanwhile[n]; ok {
					k.meanwhile(t, line)
				}
				if n == batchLimit-1 && tc.after != nil {
					interrupt <- *tc.after
				}
			}
			var stdout, stderr strings.Builder
			r := &Runner{Backend: k, Stdout: &stdout, Stderr: &stderr, Prog: "ipvsadm",
				RestoreOptions: RestoreOptions{Converge: true, DryRun: tc.dryRun, Verbose: true, Interrupt: interrupt}}
			st := r.Restore(strings.NewReader(tc.input))
			if st != tc.status || stdout.String() != tc.stdout || stderr.String() != tc.stderr {
				t.Errorf("status %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s", st, tc.status, stdout.String(), tc.stdout, stderr.String(), tc.stderr)
			}
			if tc.dryRun && k.sent != 0 {
				t.Errorf("the dry run sent %d requests", k.sent)
			}
		})
	}
}

// TestConvergeOneProblem checks the singular of the problem count.
func TestConvergeOneProblem(t *testing.T) {
	var stderr strings.Builder
	r := &Runner{Stderr: &stderr, Prog: "ipvsadm", RestoreOptions: RestoreOptions{Converge: true}}
	if st := r.Restore(strings.NewReader("-A -t 10.0.0.1:80\n-a -t 10.0.0.2:80 -r 10.1.0.1\n")); st != 1 {
		t.Errorf("status %d, want 1", st)
	}
	if want := "line 2: Service not defined\nipvsadm: 1 problem in the input: nothing was changed\n"; stderr.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), want)
	}
}

// TestConvergeOnFake converges the fake kernel's table onto inputs: the
// table after is the one a plain restore of the input makes on an empty
// table (services, settings, servers and their order), the services
// converging does not touch keep their counters, the refused changes are
// reported, converging again plans nothing (but what was refused), and a
// dry run's plan, restored
// the plain way, makes the same table.
func TestConvergeOnFake(t *testing.T) {
	const from = `-A -t 10.9.9.9:80 -s rr
-a -t 10.9.9.9:80 -r 10.9.0.2:80 -m -w 1
-a -t 10.9.9.9:80 -r 10.9.0.3:80 -m -w 1
-A -t 10.0.0.2:80 -s wlc
-a -t 10.0.0.2:80 -r 10.1.0.1:80 -g -w 1
-A -u 10.0.0.3:53 -s sh -b sh-port
-a -u 10.0.0.3:53 -r 10.1.0.5:53 -m -w 1
-A -f 7 -s wrr
-a -f 7 -r 10.1.0.1:0 -g -w 1
-a -f 7 -r 10.1.0.2:0 -g -w 2
-a -f 7 -r 10.1.0.3:0 -g -w 3
-A -t [2001:db8::1]:443 -s mh -b mh-port
-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -m -w 1
`
	kept := ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.9.9.9"), Port: 80}
	for _, tc := range []struct {
		name, from, input string
		status            int
		stderr            string
	}{{
		name: "edits, deletes, reorders and adds",
		from: from,
		input: `-A -t 10.9.9.9:80 -s rr
-a -t 10.9.9.9:80 -r 10.9.0.2:80 -m -w 1
-a -t 10.9.9.9:80 -r 10.9.0.3:80 -m -w 1
-A -t 10.0.0.2:80 -s rr -p 600
-a -t 10.0.0.2:80 -r 10.1.0.1:80 -g -w 1
-A -f 7 -s wrr
-a -f 7 -r 10.1.0.1:0 -g -w 1
-a -f 7 -r 10.1.0.3:0 -g -w 3
-a -f 7 -r 10.1.0.4:0 -g -w 4
-a -f 7 -r 10.1.0.2:0 -g -w 5
-A -t [2001:db8::1]:443 -s mh -b mh-port
-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -m -w 1 -x 100 -y 10
-a -t [2001:db8::1]:443 -r 192.168.1.50:443 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
-A -u 10.0.0.4:53 -s lc
-a -u 10.0.0.4:53 -r 10.1.0.9:53 -m -w 1
`,
		stderr: "ipvsadm: converge: 9 changes made for 5 services: services 1 added, 1 edited, 1 deleted; servers 4 added, 1 edited, 1 deleted; 0 refused\n",
	}, {
		name:   "the same table",
		from:   from,
		input:  from,
		stderr: "ipvsadm: converge: 0 changes made for 5 services: services 0 added, 0 edited, 0 deleted; servers 0 added, 0 edited, 0 deleted; 0 refused\n",
	}, {
		name:   "empty input",
		from:   from,
		stderr: "ipvsadm: converge: 5 changes made for 0 services: services 0 added, 0 edited, 5 deleted; servers 0 added, 0 edited, 0 deleted; 0 refused\n",
	}, {
		name:   "from an empty table",
		input:  from,
		stderr: "ipvsadm: converge: 13 changes made for 5 services: services 5 added, 0 edited, 0 deleted; servers 8 added, 0 edited, 0 deleted; 0 refused\n",
	}, {
		name:   "marks of 2^31 and above",
		from:   "-A -f 2147483648 -s rr\n-a -f 2147483648 -r 10.1.0.1:0 -g -w 1\n-A -f 4294967295 -6 -s wlc\n",
		input:  "-A -f 2147483648 -s rr\n-a -f 2147483648 -r 10.1.0.1:0 -g -w 1\n-A -f 4294967295 -6 -s sh\n",
		stderr: "ipvsadm: converge: 1 change made for 2 services: services 0 added, 1 edited, 0 deleted; servers 0 added, 0 edited, 0 deleted; 0 refused\n",
	}, {
		// As TestConvergeKernelRefusal in commandtest shows on the kernel.
		name:   "unknown scheduler refused",
		from:   "-A -t 10.0.0.1:80 -s rr\n",
		input:  "-A -t 10.0.0.9:80 -s nosuch\n-A -t 10.0.0.8:80 -s rr\n",
		status: 1,
		stderr: "ipvsadm: -A -t 10.0.0.9:80 -s nosuch: Scheduler or persistence engine not found\n" +
			"ipvsadm: converge: 2 changes made for 2 services: services 1 added, 0 edited, 1 deleted; servers 0 added, 0 edited, 0 deleted; 1 refused\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			want := restoredTable(t, tc.input)
			k := newFakeKernel(t, tc.from)
			counted := false
			if _, ok := k.table.index[kept]; ok {
				k.traffic(t, kept, 4)
				counted = true
			}
			before := k.String()
			st, plan, _ := convergeFake(k, tc.input, true)
			if st != 0 || k.String() != before || k.sent != 0 {
				t.Fatalf("dry run: status %d, %d changes sent", st, k.sent)
			}
			if st, stdout, stderr := convergeFake(k, tc.input, false); st != tc.status || stdout != "" || stderr != tc.stderr {
				t.Errorf("status %d, want %d, stdout %q\nstderr:\n%s\nwant:\n%s", st, tc.status, stdout, stderr, tc.stderr)
			}
			if got := tableOnly(k.String()); got != want {
				t.Errorf("table after converging:\n%s\nwant (a plain restore of the input):\n%s", got, want)
			}
			if counted {
				if s, ok := k.table.index[kept]; ok && s.Stats.Connections != 4 {
					t.Errorf("the untouched service's counters changed: %+v", s.Stats)
				}
			}
			if st, stdout, stderr := convergeFake(k, tc.input, true); tc.status == 0 && (stdout != "" || !strings.Contains(stderr, ": 0 changes planned")) {
				t.Errorf("converging again: status %d, plan %q, %s", st, stdout, stderr)
			}

			replayed := newFakeKernel(t, tc.from)
			var out strings.Builder
			r := &Runner{Backend: replayed, Stdout: &out, Stderr: &out, Prog: "ipvsadm"}
			r.Restore(strings.NewReader(plan))
			if got := tableOnly(replayed.String()); got != want {
				t.Errorf("table after restoring the plan\n%s:\n%s\nwant:\n%s", plan, got, want)
			}
		})
	}
}

// convergeFake converges k onto input, verbosely, and returns the status,
// stdout and stderr.
func convergeFake(k *fakeKernel, input string, dryRun bool) (int, string, string) {
	var stdout, stderr strings.Builder
	r := &Runner{Backend: k, Stdout: &stdout, Stderr: &stderr, Prog: "ipvsadm", RestoreOptions: RestoreOptions{Converge: true, DryRun: dryRun, Verbose: true}}
	st := r.Restore(strings.NewReader(input))
	return st, stdout.String(), stderr.String()
}

// restoredTable is the table a plain restore of rules onto an empty table
// makes, refused lines and all, without counters.
func restoredTable(t *testing.T, rules string) string {
	t.Helper()
	k := newFakeKernel(t, "")
	r := &Runner{Backend: k, Stdout: &strings.Builder{}, Stderr: &strings.Builder{}, Prog: "ipvsadm"}
	r.Restore(strings.NewReader(rules))
	return k.String()
}

// tableOnly drops the counter lines of fakeKernel.String.
func tableOnly(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(line, "#") {
			b.WriteString(line)
		}
	}
	return b.String()
}
