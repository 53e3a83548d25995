package command

import (
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
