package rule

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// saveLines are `ipvsadm -Sn` lines from the reference (4.1 and 7.2, 7.3,
// 7.10, 7.11), recorded from the real binary. Each parses back to a command
// that formats to the same line.
var saveLines = []string{
	"-A -t 10.1.1.1:80 -s rr",
	"-a -t 10.1.1.1:80 -r 192.168.1.9:80 -g -w 1",
	"-a -t 10.1.1.1:80 -r 192.168.1.10:8080 -m -w 3",
	"-a -t 10.1.1.1:80 -r 192.168.1.11:80 -i -w 0 --tun-type ipip",
	"-a -t 10.1.1.1:80 -r 192.168.1.12:80 -i -w 1 --tun-type gre --tun-csum",
	"-a -t 10.1.1.1:80 -r 192.168.1.13:80 -i -w 1 --tun-type gue --tun-port 5555 --tun-remcsum",
	"-A -u 10.1.1.3:5060 -s rr --pe sip -o",
	"-A --sctp-service 10.1.1.2:3868 -s mh -b mh-fallback,mh-port",
	"-A -t [2001:db8::100]:443 -s wlc -p 100 -M 48",
	"-a -t [2001:db8::100]:443 -r 192.168.1.50:443 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum",
	"-A -f 100 -s lc -p 1800 -M 255.255.255.0",
	"-a -f 100 -r 192.168.1.30:0 -g -w 1",
	"-A -f 200 -6 -s sed",
	"-A -t 10.0.0.1:80 -s wlc",
	"-a -t 10.0.0.1:80 -r 192.168.0.1:80 -g -w 1",
	"-a -t 10.0.0.1:80 -r 192.168.0.2:80 -i -w 1 --tun-type ipip",
	"-a -t 10.0.0.1:80 -r 192.168.0.3:80 -m -w 1",
	"-a -t 10.0.0.1:80 -r 192.168.0.4:0 -m -w 1",
	"-A -t 10.0.0.1:0 -s wlc -p 360",
	"-A -u 10.0.0.1:53 -s wlc -p 60 -M 255.255.255.0",
	"-A -t 10.0.0.1:80 -s rr -p 360",
	"-A -t 1.2.3.4:2 -s sh -b sh-fallback",
	"-A -t 1.2.3.4:4 -s mh -b mh-fallback,mh-port",
	"-A -t 1.2.3.4:5 -s wlc -b flag-1,flag-2",
	"-a -t 10.0.0.1:80 -r 192.168.0.5:80 -i -w 1 --tun-type gre --tun-nocsum",
	"-a -t 10.0.0.1:80 -r 192.168.0.5:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum",
	"-A -t [::1]:80 -s wlc",
	"-a -f 7 -6 -r [2001:db8::12]:0 -g -w 1",
	"-A -f 7 -6 -s wlc -p 360 -M 64",
}

func TestFormatSaveLines(t *testing.T) {
	for _, line := range saveLines {
		c, err := parse(Tokenize(line), false)
		if err != nil {
			t.Errorf("Parse(%q): %v", line, err)
			continue
		}
		if got := Format(c, nil); got != line {
			t.Errorf("Format(Parse(%q)) = %q", line, got)
		}
	}
}

func TestFormatKernelEntries(t *testing.T) {
	key := tcp("1.2.3.4", 3)
	for _, tc := range []struct {
		c    Command
		f    AddrPortFunc
		want string
	}{
		// A mark of 2^31 or above prints unsigned, so that it can be
		// restored; the original prints it signed (7.9), here "-f -1",
		// which no restore accepts (a deliberate difference).
		{Command{Kind: AddService, Service: ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.INET, FWMark: 4294967295}, Scheduler: "wlc", Flags: ipvs.FlagHashed, Netmask: 0xffffffff}},
			nil, "-A -f 4294967295 -s wlc"},
		{Command{Kind: AddServer, Service: ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.INET6, FWMark: 2147483648}}, Server: ipvs.Destination{Family: ipvs.INET6, Addr: netip.MustParseAddr("2001:db8::1"), Method: ipvs.Local, Weight: 1}},
			nil, "-a -f 2147483648 -6 -r [2001:db8::1]:0 -g -w 1"},
		// sh with only flag-3: "-b " with a trailing blank (7.10).
		{Command{Kind: AddService, Service: ipvs.Service{ServiceKey: key, Scheduler: "sh", Flags: ipvs.FlagSched3 | ipvs.FlagHashed, Netmask: 0xffffffff}},
			nil, "-A -t 1.2.3.4:3 -s sh -b "},
		// The PE is saved even when not persistent; the mask only when persistent.
		{Command{Kind: AddService, Service: ipvs.Service{ServiceKey: key, Scheduler: "rr", PE: "sip", Netmask: 0xffff0000}},
			nil, "-A -t 1.2.3.4:3 -s rr --pe sip"},
		// Names (7.27) and the 59-byte cap.
		{Command{Kind: AddService, Service: ipvs.Service{ServiceKey: tcp("127.0.0.1", 22), Scheduler: "wlc", Netmask: 0xffffffff}},
			func(ipvs.Family, netip.Addr, uint16, ipvs.Protocol) string { return "localhost:ssh" }, "-A -t localhost:ssh -s wlc"},
		{Command{Kind: AddServer, Service: ipvs.Service{ServiceKey: key}, Server: ipvs.Destination{Family: ipvs.INET, Addr: v4("10.0.0.1"), Port: 3, Method: ipvs.Local, Weight: 2, UpperThreshold: 9}},
			func(f ipvs.Family, a netip.Addr, p uint16, pr ipvs.Protocol) string {
				if a == v4("10.0.0.1") {
					return strings.Repeat("x", 70)
				}
				return NumericAddrPort(f, a, p, pr)
			}, "-a -t 1.2.3.4:3 -r " + strings.Repeat("x", 59) + " -g -w 2"},
		{Command{Kind: List}, nil, ""},
	} {
		if got := Format(&tc.c, tc.f); got != tc.want {
			t.Errorf("Format(%+v) = %q, want %q", tc.c, got, tc.want)
		}
	}
}

// TestFormatChange checks that every change line parses back to the
// command it was made from: edits keep all the settings, deletions the
// key, servers their thresholds.
func TestFormatChange(t *testing.T) {
	for _, tc := range []struct{ line, edit, del string }{
		{"-A -u 10.1.1.1:80 -s rr -p 300 -M 255.255.255.0 -o", "-E -u 10.1.1.1:80 -s rr -p 300 -M 255.255.255.0 -o", "-D -u 10.1.1.1:80"},
		{"-A -f 200 -6 -s sed", "-E -f 200 -6 -s sed", "-D -f 200 -6"},
		{"-A --sctp-service 10.1.1.2:3868 -s mh -b mh-fallback,mh-port", "-E --sctp-service 10.1.1.2:3868 -s mh -b mh-fallback,mh-port", "-D --sctp-service 10.1.1.2:3868"},
		{"-a -t 10.1.1.1:80 -r 192.168.1.10:8080 -m -w 3 -x 100 -y 10", "-e -t 10.1.1.1:80 -r 192.168.1.10:8080 -m -w 3 -x 100 -y 10", "-d -t 10.1.1.1:80 -r 192.168.1.10:8080"},
		{"-a -t [2001:db8::100]:443 -r 192.168.1.50:443 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum", "-e -t [2001:db8::100]:443 -r 192.168.1.50:443 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum", "-d -t [2001:db8::100]:443 -r 192.168.1.50:443"},
		{"-a -f 7 -6 -r [2001:db8::12]:0 -g -w 1 -y 5", "-e -f 7 -6 -r [2001:db8::12]:0 -g -w 1 -y 5", "-d -f 7 -6 -r [2001:db8::12]:0"},
	} {
		add, err := parse(Tokenize(tc.line), false)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.line, err)
		}
		if got := FormatChange(add, nil); got != tc.line {
			t.Errorf("FormatChange(Parse(%q)) = %q", tc.line, got)
		}
		for _, want := range []string{tc.edit, tc.del} {
			c, err := parse(Tokenize(want), false)
			if err != nil {
				t.Fatalf("Parse(%q): %v", want, err)
			}
			if got := FormatChange(c, nil); got != want {
				t.Errorf("FormatChange(Parse(%q)) = %q", want, got)
			}
		}
		edit := *add
		edit.Kind++ // AddService → EditService, AddServer → EditServer
		if got := FormatChange(&edit, nil); got != tc.edit {
			t.Errorf("edit of %q: %q, want %q", tc.line, got, tc.edit)
		}
		del := edit
		del.Kind++ // → DeleteService, DeleteServer
		if got := FormatChange(&del, nil); got != tc.del {
			t.Errorf("deletion of %q: %q, want %q", tc.line, got, tc.del)
		}
	}
}
