package clitest

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// TestNetnsChanges: every kind of change made with --netns NAME (the
// option before, after and inside the command's options, and as
// --netns=NAME) lands in that namespace, and the caller's stays empty.
func TestNetnsChanges(t *testing.T) {
	caller, x := vmtest.NewNetNS(t), vmtest.NewNetNS(t)
	n := name(t, x)
	for _, args := range [][]string{
		{"--netns", n, "-A", "-t", "10.0.0.1:80", "-s", "rr"},
		{"-a", "-t", "10.0.0.1:80", "-r", "10.0.1.1:80", "-m", "-w", "3", "--netns", n},
		{"-a", "-t", "10.0.0.1:80", "--netns", n, "-r", "10.0.1.2:8080", "-m"},
		{"--netns=" + n, "-A", "-u", "10.0.0.2:53", "-s", "wlc", "-p", "60"},
		{"--netns", n, "-a", "-u", "10.0.0.2:53", "-r", "10.0.1.3", "-g", "-x", "100", "-y", "10"},
		{"--netns", n, "-A", "-f", "7", "-s", "sh", "-b", "sh-port"},
		{"--netns", n, "-a", "-f", "7", "-r", "10.0.1.4", "-i"},
		{"--netns", n, "-A", "--sctp-service", "[2001:db8::1]:5060", "-s", "mh"},
		{"--netns", n, "-E", "-t", "10.0.0.1:80", "-s", "wrr"},
		{"--netns", n, "-e", "-t", "10.0.0.1:80", "-r", "10.0.1.2:8080", "-m", "-w", "5"},
		{"--netns", n, "-A", "-t", "10.0.0.9:22"},
		{"--netns", n, "-D", "-t", "10.0.0.9:22"},
		{"--netns", n, "-d", "-t", "10.0.0.1:80", "-r", "10.0.1.1:80"},
		{"--netns", n, "--set", "100", "20", "30"},
		{"--netns", n, "-Z"},
	} {
		ipvsadm.must(t, caller, "", args...)
	}
	want := "-A -f 7 -s sh -b sh-port\n" +
		"-a -f 7 -r 10.0.1.4:0 -i -w 1 --tun-type ipip\n" +
		"-A -t 10.0.0.1:80 -s wrr\n" +
		"-a -t 10.0.0.1:80 -r 10.0.1.2:8080 -m -w 5\n" +
		"-A -u 10.0.0.2:53 -s wlc -p 60\n" +
		"-a -u 10.0.0.2:53 -r 10.0.1.3:53 -g -w 1\n" + // -S shows no thresholds
		"-A --sctp-service [2001:db8::1]:5060 -s mh\n"
	if got := table(t, x); normalize(got) != normalize(want) {
		t.Errorf("the named namespace's table (reference -Sn):\n%s\nwant:\n%s", got, want)
	}
	if got := table(t, caller); got != "" {
		t.Errorf("the caller's namespace was changed:\n%s", got)
	}
	if got := refIpvsadm.must(t, x, "", "-L", "--timeout"); got != "Timeout (tcp tcpfin udp): 100 20 30\n" {
		t.Errorf("--set did not reach the named namespace: %q", got)
	}
	if got, def := refIpvsadm.must(t, caller, "", "-L", "--timeout"), "Timeout (tcp tcpfin udp): 900 120 300\n"; got != def {
		t.Errorf("--set changed the caller's timeouts: %q", got)
	}

	// -C clears the named namespace only.
	refIpvsadm.must(t, caller, "", "-A", "-t", "10.0.0.5:80")
	ipvsadm.must(t, caller, "", "--netns", n, "-C")
	if got := table(t, x); got != "" {
		t.Errorf("-C left the named namespace's table:\n%s", got)
	}
	if got := table(t, caller); got != "-A -t 10.0.0.5:80 -s wlc\n" {
		t.Errorf("-C --netns touched the caller's table:\n%s", got)
	}
}

// normalize sorts the lines of a save by service (the kernel's hash order
// decides theirs), keeping each service's servers with it.
func normalize(save string) string {
	var blocks []string
	for _, l := range strings.SplitAfter(save, "\n") {
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "-a ") && len(blocks) > 0 {
			blocks[len(blocks)-1] += l
		} else {
			blocks = append(blocks, l)
		}
	}
	for i := range blocks {
		for j := i + 1; j < len(blocks); j++ {
			if blocks[j] < blocks[i] {
				blocks[i], blocks[j] = blocks[j], blocks[i]
			}
		}
	}
	return strings.Join(blocks, "")
}

// TestNetnsListings: listings and saves with --netns print, byte for
// byte, what the reference prints inside the namespace; without --netns
// they show the caller's (empty) table.
func TestNetnsListings(t *testing.T) {
	caller, x := vmtest.NewNetNS(t), vmtest.NewNetNS(t)
	n := name(t, x)
	refIpvsadm.must(t, x, "-A -t 10.0.0.1:80 -s rr\n"+
		"-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 3\n"+
		"-a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 2\n"+
		"-A -t 127.0.0.1:22 -s wlc -p 300\n"+
		"-a -t 127.0.0.1:22 -r 127.0.0.2:22 -g\n"+
		"-A -u 10.0.0.2:53 -s sh -b sh-fallback\n"+
		"-a -u 10.0.0.2:53 -r 10.0.1.3:53 -i -w 1 -x 50 -y 5\n"+
		"-A -f 7 -6 -s lc\n"+
		"-a -f 7 -6 -r 2001:db8::7 -g -w 4\n"+
		"-A -t 10.0.0.3:443 -s wlc\n"+
		"-a -t 10.0.0.3:443 -r 10.0.1.5:443 -i --tun-type gue --tun-port 6080 --tun-csum\n", "-R")
	refIpvsadm.must(t, x, "", "--set", "61", "62", "63")
	for _, args := range [][]string{
		{"-Ln"},
		{"-L", "-n"},
		{"-L"},
		{"-Ln", "--stats"},
		{"-Ln", "--rate"},
		{"-Ln", "--thresholds"},
		{"-Ln", "--persistent-conn"},
		{"-Ln", "--tun-info"},
		{"-Ln", "--exact", "--stats"},
		{"-Ln", "--nosort"},
		{"-Ln", "-t", "10.0.0.1:80"},
		{"-Ln", "-t", "10.0.0.9:80"}, // missing: an error, status 1
		{"-Ln", "--timeout"},
		{"-Ln", "--daemon"},
		{"-Lnc"},
		{"-Sn"},
		{"-S"},
		{"-S", "-n", "--nosort"},
		{},
	} {
		what := "ipvsadm " + strings.Join(args, " ")
		same(t, what+" --netns", ipvsadm.run(t, caller, "", append([]string{"--netns", n}, args...)...),
			refIpvsadm.run(t, x, "", args...))
		same(t, what+" in the caller's namespace", ipvsadm.run(t, caller, "", args...), refIpvsadm.run(t, caller, "", args...))
	}
	for _, args := range [][]string{{}, {"-n"}} {
		what := "ipvsadm-save " + strings.Join(args, " ")
		same(t, what+" --netns", save.run(t, caller, "", append(args, "--netns", n)...), refSave.run(t, x, "", args...))
		same(t, what+" in the caller's namespace", save.run(t, caller, "", args...), refSave.run(t, caller, "", args...))
	}
	if got := save.must(t, caller, "", "-n", "--netns", n); !strings.Contains(got, "-A -t 10.0.0.1:80 -s rr\n") {
		t.Errorf("ipvsadm-save -n --netns %s:\n%s", n, got)
	}
}

// TestNetnsProcTables: the listings that read destinations through the
// socket-option interface or /proc/net/ip_vs (-Ln, -Sn), and
// /proc/net/ip_vs_conn (-Lnc), read the named namespace's, not the
// caller's, although the process itself lives in the caller's. Both
// namespaces have the same service with different servers, and different
// connections.
func TestNetnsProcTables(t *testing.T) {
	caller, x := vmtest.NewNetNS(t), vmtest.NewNetNS(t)
	n := name(t, x)
	for _, ns := range []struct {
		ns          *vmtest.NetNS
		vip, subnet string
		servers     []string
	}{
		{x, "10.9.9.9", "10.9.9.1/24", []string{"10.9.9.10", "10.9.9.11"}},
		{caller, "10.8.8.8", "10.8.8.1/24", []string{"10.8.8.20", "10.8.8.21", "10.8.8.22"}},
	} {
		ns.ns.Sh(t, "ip link add d0 type dummy && ip addr add "+ns.subnet+" dev d0 && ip link set d0 up")
		rules := "-A -t 10.0.0.1:80 -s rr\n-A -u " + ns.vip + ":5000 -s rr\n"
		for i, s := range ns.servers {
			rules += fmt.Sprintf("-a -t 10.0.0.1:80 -r %s:80 -m -w %d\n", s, i+1)
			rules += fmt.Sprintf("-a -u %s:5000 -r %s:5000 -g\n", ns.vip, s)
		}
		refIpvsadm.must(t, ns.ns, rules, "-R")
		// Local UDP clients: each datagram makes a connection entry.
		for i := range len(ns.servers) + 1 {
			err := ns.ns.Do(func() error {
				c, err := net.Dial("udp", ns.vip+":5000")
				if err != nil {
					return err
				}
				defer c.Close()
				_, err = fmt.Fprintf(c, "hello %d\n", i)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, args := range [][]string{{"-Ln"}, {"-Sn"}, {"-S"}, {"-L"}} {
		what := "ipvsadm " + strings.Join(args, " ")
		got := ipvsadm.run(t, caller, "", append(args, "--netns", n)...)
		same(t, what+" --netns", got, refIpvsadm.run(t, x, "", args...))
		if strings.Contains(got.Stdout, "10.8.8.") {
			t.Errorf("%s --netns shows the caller's servers:\n%s", what, got.Stdout)
		}
		same(t, what+" in the caller's namespace", ipvsadm.run(t, caller, "", args...), refIpvsadm.run(t, caller, "", args...))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ref := withoutExpiry(refIpvsadm.run(t, x, "", "-Lnc"))
		got := withoutExpiry(ipvsadm.run(t, caller, "", "--netns", n, "-Lnc"))
		if got == ref || time.Now().After(deadline) {
			same(t, "ipvsadm -Lnc --netns", got, ref)
			if c := strings.Count(got.Stdout, "10.9.9.9:5000"); c != 3 || strings.Contains(got.Stdout, "10.8.8.") {
				t.Errorf("ipvsadm --netns %s -Lnc shows %d connections to the namespace's service, want 3:\n%s", n, c, got.Stdout)
			}
			break
		}
		time.Sleep(200 * time.Millisecond) // an entry expired or moved on between the runs
	}
	got := withoutExpiry(ipvsadm.run(t, caller, "", "-Lnc"))
	same(t, "ipvsadm -Lnc in the caller's namespace", got, withoutExpiry(refIpvsadm.run(t, caller, "", "-Lnc")))
	if c := strings.Count(got.Stdout, "10.8.8.8:5000"); c != 4 {
		t.Errorf("ipvsadm -Lnc in the caller's namespace shows %d of its 4 connections:\n%s", c, got.Stdout)
	}
	// -Lc with names, --exact, and the old -Lcn cluster order.
	for _, args := range [][]string{{"-Lc", "-n", "--exact"}, {"-L", "-c", "-n"}} {
		same(t, "ipvsadm "+strings.Join(args, " ")+" --netns",
			withoutExpiry(ipvsadm.run(t, caller, "", append([]string{"--netns", n}, args...)...)),
			withoutExpiry(refIpvsadm.run(t, x, "", args...)))
	}
}

// TestNetnsPath: --netns takes the path of any namespace file, here
// /proc/PID/ns/net of a process living in the namespace.
func TestNetnsPath(t *testing.T) {
	caller, x := vmtest.NewNetNS(t), vmtest.NewNetNS(t)
	sleeper := exec.Command("/bin/sleep", "600")
	if err := x.Start(sleeper); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })
	path := fmt.Sprintf("/proc/%d/ns/net", sleeper.Process.Pid)

	ipvsadm.must(t, caller, "", "--netns", path, "-A", "-t", "10.0.0.1:80", "-s", "rr")
	ipvsadm.must(t, caller, "", "-a", "-t", "10.0.0.1:80", "-r", "10.0.1.1:80", "-m", "--netns="+path)
	if got, want := table(t, x), "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1\n"; got != want {
		t.Errorf("the namespace's table:\n%s\nwant:\n%s", got, want)
	}
	if got := table(t, caller); got != "" {
		t.Errorf("the caller's namespace was changed:\n%s", got)
	}
	for _, args := range [][]string{{"-Ln"}, {"-Lnc"}, {"-Sn"}} {
		same(t, "ipvsadm --netns PATH "+strings.Join(args, " "),
			ipvsadm.run(t, caller, "", append([]string{"--netns", path}, args...)...), refIpvsadm.run(t, x, "", args...))
	}
	same(t, "ipvsadm-save --netns PATH -n", save.run(t, caller, "", "--netns", path, "-n"), refSave.run(t, x, "", "-n"))
	rules := "-A -u 10.0.0.2:53 -s wlc\n-a -u 10.0.0.2:53 -r 10.0.1.3:53 -g\n"
	restore.must(t, caller, rules, "--netns", path)
	if got := table(t, x); got != "-A -u 10.0.0.2:53 -s wlc\n-a -u 10.0.0.2:53 -r 10.0.1.3:53 -g -w 1\n" {
		t.Errorf("ipvsadm-restore --netns PATH left:\n%s", got)
	}
	// The caller's own namespace file works too, and is the caller's table.
	const self = "/proc/self/ns/net"
	same(t, "ipvsadm --netns /proc/self/ns/net -Ln", ipvsadm.run(t, caller, "", "--netns", self, "-Ln"), refIpvsadm.run(t, caller, "", "-Ln"))
}

// TestNetnsRestore: ipvsadm-restore --netns and ipvsadm -R --netns clear
// and fill the named namespace exactly as the reference does inside it;
// the caller's table is left alone, and -R --test checks against the
// named namespace's table.
func TestNetnsRestore(t *testing.T) {
	caller, x, y := vmtest.NewNetNS(t), vmtest.NewNetNS(t), vmtest.NewNetNS(t)
	n := name(t, x)
	old := "-A -t 10.0.0.99:80 -s rr\n-a -t 10.0.0.99:80 -r 10.0.1.99:80 -m -w 1\n"
	callers := "-A -t 10.0.0.77:80 -s wlc\n-a -t 10.0.0.77:80 -r 10.0.1.77:80 -m -w 1\n"
	refIpvsadm.must(t, x, old, "-R")
	refIpvsadm.must(t, y, old, "-R")
	refIpvsadm.must(t, caller, callers, "-R")
	rules := "# saved\n" +
		"-A -t 10.0.0.1:80 -s rr\n" +
		"-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 3\n" +
		"-A -u 10.0.0.2:53 -s wlc -p 60\n" +
		"-a -u 10.0.0.2:53 -r 10.0.1.3:53 -g -w 1\n" +
		"-a -u 10.0.0.2:53 -r 10.0.1.3:53 -g -w 1\n" + // already exists: status 255, the restore goes on
		"-A -f 7 -s sh\n"
	same(t, "ipvsadm-restore --netns", restore.run(t, caller, rules, "--netns", n), refRestore.run(t, y, rules))
	if got, want := table(t, x), table(t, y); got != want {
		t.Errorf("ipvsadm-restore --netns left:\n%s\nthe reference, in the namespace:\n%s", got, want)
	}
	if got := table(t, caller); got != callers {
		t.Errorf("ipvsadm-restore --netns changed the caller's table:\n%s", got)
	}

	// -R adds to the table (no clearing), in the named namespace.
	more := "-A -t 10.0.0.3:443\n-a -t 10.0.0.3:443 -r 10.0.1.5:443 -g\n-A -t 10.0.0.1:80\n"
	same(t, "ipvsadm --netns -R", ipvsadm.run(t, caller, more, "--netns", n, "-R"), refIpvsadm.run(t, y, more, "-R"))
	if got, want := table(t, x), table(t, y); got != want {
		t.Errorf("ipvsadm -R --netns left:\n%s\nthe reference, in the namespace:\n%s", got, want)
	}
	if got := table(t, caller); got != callers {
		t.Errorf("ipvsadm -R --netns changed the caller's table:\n%s", got)
	}

	// --test checks against the named namespace's table: the service
	// exists there, not in the caller's.
	check := "-a -t 10.0.0.3:443 -r 10.0.1.6:443 -g\n"
	before := table(t, x)
	if r := ipvsadm.run(t, caller, check, "-R", "--test", "--netns", n); r.Status != 0 {
		t.Errorf("ipvsadm -R --test --netns: %v", r)
	}
	if r := ipvsadm.run(t, caller, check, "-R", "--test"); r.Status == 0 {
		t.Errorf("ipvsadm -R --test in the caller's namespace found no problem: %v", r)
	}
	if got := table(t, x); got != before {
		t.Errorf("-R --test changed the table:\n%s", got)
	}
}

// TestNetnsErrors: a namespace that does not exist, a file that is not a
// network namespace and a missing name are errors with status 2 that
// change nothing, for each personality.
func TestNetnsErrors(t *testing.T) {
	caller := vmtest.NewNetNS(t)
	refIpvsadm.must(t, caller, "", "-A", "-t", "10.0.0.1:80")
	const missing = "cannot open network namespace \"nope\": no such file or directory\n"
	for _, tc := range []struct {
		p      program
		stdin  string
		args   []string
		stderr string
	}{
		{ipvsadm, "", []string{"--netns", "nope", "-Ln"}, "ipvsadm: " + missing},
		{ipvsadm, "", []string{"-C", "--netns", "nope"}, "ipvsadm: " + missing},
		{ipvsadm, "-C\n", []string{"-R", "--netns=nope"}, "ipvsadm: " + missing},
		{save, "", []string{"--netns", "nope"}, "ipvsadm-save: " + missing},
		{restore, "-C\n", []string{"--netns", "nope"}, "ipvsadm-restore: " + missing},
		{ipvsadm, "", []string{"--netns", "/etc/hosts", "-C"}, "ipvsadm: \"/etc/hosts\" is not a network namespace\n"},
		{ipvsadm, "", []string{"--netns", "/proc/self/ns/uts", "-C"}, "ipvsadm: \"/proc/self/ns/uts\" is not a network namespace\n"},
		{ipvsadm, "", []string{"--netns", "/proc", "-C"}, "ipvsadm: \"/proc\" is not a network namespace\n"},
		{restore, "", []string{"--netns", "/etc/hosts"}, "ipvsadm-restore: \"/etc/hosts\" is not a network namespace\n"},
		{ipvsadm, "", []string{"-C", "--netns"}, "ipvsadm: option --netns needs the name of a network namespace\n"},
		{ipvsadm, "", []string{"--netns=", "-C"}, "ipvsadm: option --netns needs the name of a network namespace\n"},
		{save, "", []string{"-n", "--netns"}, "ipvsadm-save: option --netns needs the name of a network namespace\n"},
		{restore, "-C\n", []string{"--netns"}, "ipvsadm-restore: option --netns needs the name of a network namespace\n"},
	} {
		r := tc.p.run(t, caller, tc.stdin, tc.args...)
		if want := (vmtest.Result{Stderr: tc.stderr, Status: 2}); r != want {
			t.Errorf("%s %s:\ngot:  %v\nwant: %v", tc.p.argv0, strings.Join(tc.args, " "), r, want)
		}
	}
	if got := table(t, caller); got != "-A -t 10.0.0.1:80 -s wlc\n" {
		t.Errorf("a failed --netns changed the caller's table:\n%s", got)
	}
}
