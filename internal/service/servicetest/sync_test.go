package servicetest

import (
	"bufio"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// The sync test's network, all inside the VM:
//
//	client c0 10.0.1.2 ── m0 10.0.1.1 + VIP 10.0.1.100   master   m2 10.0.3.1 ── r0 10.0.3.2 real server :8080
//	                        s0 10.0.2.1 ── s1 10.0.2.2   backup   (the sync link: multicast 224.0.0.81)
const (
	vip        = "10.0.1.100:80"
	realServer = "10.0.3.2:8080"
	client     = "10.0.1.2"
	syncRules  = "-A -t " + vip + " -s rr\n-a -t " + vip + " -r " + realServer + " -m -w 1\n"
)

// TestSyncMasterBackup: two directors joined by a veth pair run
// ipvsadm.service (Debian layout) with DAEMON=master and DAEMON=backup; a
// client opens connections through the NAT virtual service on the master;
// the backup's "ipvsadm -Lnc" then shows them.
func TestSyncMasterBackup(t *testing.T) {
	master, backup := vmtest.NewNetNS(t), vmtest.NewNetNS(t)
	cli, rs := vmtest.NewNetNS(t), vmtest.NewNetNS(t)
	for _, v := range []struct {
		ns         *vmtest.NetNS
		name, peer string
		peerNS     *vmtest.NetNS
	}{
		{master, "m0", "c0", cli},
		{master, "m2", "r0", rs},
		{master, "s0", "s1", backup},
	} {
		if err := addVeth(v.ns, v.name, v.peerNS, v.peer); err != nil {
			t.Fatal(err)
		}
	}
	cli.Sh(t, "ip addr add 10.0.1.2/24 dev c0 && ip link set c0 up && ip route add default via 10.0.1.1")
	rs.Sh(t, "ip addr add 10.0.3.2/24 dev r0 && ip link set r0 up && ip route add default via 10.0.3.1")
	master.Sh(t, "ip addr add 10.0.1.1/24 dev m0 && ip addr add 10.0.1.100/32 dev m0 && ip link set m0 up && "+
		"ip addr add 10.0.3.1/24 dev m2 && ip link set m2 up && "+
		"ip addr add 10.0.2.1/24 dev s0 && ip link set s0 up && sysctl -w net.ipv4.ip_forward=1")
	backup.Sh(t, "ip addr add 10.0.2.2/24 dev s1 && ip link set s1 up")

	// Both directors have the same rules; each runs its daemon.
	for _, d := range []struct {
		ns          *vmtest.NetNS
		role, iface string
	}{{master, "master", "s0"}, {backup, "backup", "s1"}} {
		s := newSvc(t, "debian", "")
		s.settings(fmt.Sprintf("AUTO=\"true\"\nDAEMON=\"%s\"\nIFACE=\"%s\"\nSYNCID=\"1\"\n", d.role, d.iface))
		s.rules(syncRules)
		s.must(d.ns, "start")
		t.Cleanup(func() { s.run(d.ns, "stop") })
		daemons := d.ns.Sh(t, sbin+"/ipvsadm -L --daemon")
		if want := d.role + " sync daemon (mcast=" + d.iface + ", syncid=1,"; !strings.HasPrefix(daemons, want) {
			t.Fatalf("%s: -L --daemon: %q, want %q…", d.role, daemons, want)
		}
	}

	stop := serveEcho(t, rs, realServer)
	defer stop()
	var clients []string
	for i := range 3 {
		clients = append(clients, echo(t, cli, vip, fmt.Sprintf("hello %d", i)))
	}
	t.Logf("client connections from %q", clients)

	onMaster := syncedFrom(t, master, clients)
	if len(onMaster) != len(clients) {
		t.Fatalf("the master holds %d of the %d connections:\n%s", len(onMaster), len(clients), master.Sh(t, sbin+"/ipvsadm -Lnc"))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := syncedFrom(t, backup, clients)
		if len(got) == len(clients) {
			t.Logf("backup -Lnc:\n%s", backup.Sh(t, sbin+"/ipvsadm -Lnc"))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s the backup holds %q of %q:\n%s\nmaster:\n%s", got, clients,
				backup.Sh(t, sbin+"/ipvsadm -Lnc"), master.Sh(t, sbin+"/ipvsadm -Lnc"))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// syncedFrom lists the clients of want that ns's "ipvsadm -Lnc" (ours)
// shows as connections through the VIP to the real server.
func syncedFrom(t *testing.T, ns *vmtest.NetNS, want []string) []string {
	t.Helper()
	var got []string
	for _, l := range strings.Split(ns.Sh(t, sbin+"/ipvsadm -Lnc"), "\n") {
		f := strings.Fields(l)
		if len(f) == 6 && f[0] == "TCP" && f[4] == vip && f[5] == realServer && slices.Contains(want, f[3]) {
			got = append(got, f[3])
		}
	}
	return got
}

// serveEcho answers each line on addr in ns with the same line, until
// stop is called.
func serveEcho(t *testing.T, ns *vmtest.NetNS, addr string) (stop func()) {
	t.Helper()
	var ln net.Listener
	if err := ns.Do(func() (err error) { ln, err = net.Listen("tcp", addr); return err }); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if line, err := bufio.NewReader(c).ReadString('\n'); err == nil {
					c.Write([]byte(line))
				}
			}()
		}
	}()
	return func() { ln.Close() }
}

// echo connects from ns to addr, sends msg, checks the answer and closes;
// it returns the connection's local address.
func echo(t *testing.T, ns *vmtest.NetNS, addr, msg string) string {
	t.Helper()
	var c net.Conn
	if err := ns.Do(func() (err error) { c, err = net.DialTimeout("tcp", addr, 10*time.Second); return err }); err != nil {
		t.Fatalf("connecting to %s: %v", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintln(c, msg); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != msg+"\n" {
		t.Fatalf("answer %q (%v), want %q", line, err, msg)
	}
	return c.LocalAddr().String()
}
