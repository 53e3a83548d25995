package jsonlist

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ipvsadm-go/ipvsadm/internal/connections"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

var addr = netip.MustParseAddr

// decodeStrict decodes data into v, refusing members v does not have and
// anything after the document.
func decodeStrict(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value in %s", data)
	}
}

// generic decodes data into maps and slices, numbers kept exact.
func generic(t *testing.T, data []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return m
}

// writeServices streams services into a document.
func writeServices(t *testing.T, info IPVS, services []Service) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewServicesWriter(&buf, info)
	if err != nil {
		t.Fatal(err)
	}
	for i := range services {
		if err := w.Write(&services[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// table is a small table covering what a service listing shows.
func table() ([]ipvs.ServiceEntry, [][]ipvs.DestinationEntry) {
	big := ipvs.Stats{Connections: 1 << 40, PacketsIn: 1<<40 + 1, PacketsOut: 1 << 33, BytesIn: math.MaxUint64, BytesOut: 1<<63 + 5,
		CPS: 1 << 41, PPSIn: 7, PPSOut: 8, BPSIn: 1 << 50, BPSOut: 10}
	services := []ipvs.ServiceEntry{
		{Service: ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: addr("10.0.0.1"), Port: 80},
			Scheduler: "wlc", Flags: ipvs.FlagHashed | ipvs.FlagPersistent, Timeout: 300 * time.Second, Netmask: 0xffffff00}, Stats: big},
		{Service: ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.INET6, FWMark: 7},
			Scheduler: "sh", Flags: ipvs.FlagHashed | ipvs.FlagSched1 | ipvs.FlagSched2 | ipvs.FlagSched3, Netmask: 128}},
		{Service: ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.UDP, Addr: addr("10.0.0.2"), Port: 0},
			Scheduler: "rr", PE: "sip", Flags: ipvs.FlagHashed | ipvs.FlagPersistent | ipvs.FlagOnePacket | 0x40,
			Timeout: 100 * time.Second, Netmask: 0xff00ff00}},
		{Service: ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.SCTP, Addr: addr("2001:db8::1"), Port: 443},
			Scheduler: "mh", Flags: ipvs.FlagPersistent | ipvs.FlagSched2, Timeout: 60 * time.Second, Netmask: 64}},
	}
	dests := [][]ipvs.DestinationEntry{
		{
			{Destination: ipvs.Destination{Family: ipvs.INET, Addr: addr("10.0.1.1"), Port: 8080, Method: ipvs.Masquerade, Weight: 3,
				UpperThreshold: 100, LowerThreshold: 10}, ActiveConns: 4, InactiveConns: 5, PersistentConns: 6, Stats: big},
			{Destination: ipvs.Destination{Family: ipvs.INET6, Addr: addr("2001:db8::10"), Port: 80, Method: ipvs.Tunnel, Weight: 1,
				TunnelType: ipvs.TunnelGUE, TunnelPort: 6080, TunnelFlags: ipvs.TunnelChecksum}},
		},
		{
			{Destination: ipvs.Destination{Family: ipvs.INET6, Addr: addr("2001:db8::2"), Method: ipvs.Route}},
		},
		{
			{Destination: ipvs.Destination{Family: ipvs.INET, Addr: addr("10.0.1.3"), Method: ipvs.Tunnel, TunnelType: ipvs.TunnelGRE,
				TunnelFlags: ipvs.TunnelRemoteChecksum}},
			{Destination: ipvs.Destination{Family: ipvs.INET, Addr: addr("10.0.1.4"), Method: ipvs.Local}},
		},
		nil,
	}
	return services, dests
}

func convert(inc Include) []Service {
	services, dests := table()
	out := make([]Service, len(services))
	for i := range services {
		out[i] = NewService(services[i], dests[i], inc)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// TestServicesDocument checks the decoded document member by member.
func TestServicesDocument(t *testing.T) {
	data := writeServices(t, NewIPVS(ipvs.Info{Version: ipvs.Version{Major: 1, Minor: 2, Patch: 1}, ConnTableSize: 4096}),
		convert(Include{Stats: true, Rates: true}))
	var doc Services
	decodeStrict(t, data, &doc)
	big := &Stats{Conns: 1 << 40, InPkts: 1<<40 + 1, OutPkts: 1 << 33, InBytes: math.MaxUint64, OutBytes: 1<<63 + 5}
	bigRates := &Rates{CPS: 1 << 41, InPPS: 7, OutPPS: 8, InBPS: 1 << 50, OutBPS: 10}
	zero, zeroRates := &Stats{}, &Rates{}
	want := Services{
		Schema: SchemaServices, Version: 1, IPVS: IPVS{Version: "1.2.1", ConnTableSize: 4096},
		Services: []Service{
			{Family: "inet", Protocol: "tcp", Address: "10.0.0.1", Port: ptr[uint16](80), Scheduler: "wlc", Flags: []string{"persistent"},
				Persistence: &Persistence{Timeout: 300, Netmask: "255.255.255.0", PrefixLength: ptr(24)},
				Stats:       big, Rates: bigRates,
				Destinations: []Destination{
					{Family: "inet", Address: "10.0.1.1", Port: 8080, Forward: "masq", Weight: 3, Thresholds: Thresholds{Upper: 100, Lower: 10},
						ActiveConns: 4, InactiveConns: 5, PersistentConns: 6, Stats: big, Rates: bigRates},
					{Family: "inet6", Address: "2001:db8::10", Port: 80, Forward: "tunnel", Weight: 1,
						Tunnel: &Tunnel{Type: "gue", Port: 6080, Flags: []string{"csum"}}, Stats: zero, Rates: zeroRates},
				}},
			{Family: "inet6", FWMark: 7, Scheduler: "sh", Flags: []string{"sh-fallback", "sh-port", "flag-3"}, Stats: zero, Rates: zeroRates,
				Destinations: []Destination{
					{Family: "inet6", Address: "2001:db8::2", Forward: "route", Stats: zero, Rates: zeroRates},
				}},
			{Family: "inet", Protocol: "udp", Address: "10.0.0.2", Port: ptr[uint16](0), Scheduler: "rr", PE: "sip", OnePacket: true,
				Flags:       []string{"persistent", "one-packet", "0x40"},
				Persistence: &Persistence{Timeout: 100, Netmask: "255.0.255.0"}, Stats: zero, Rates: zeroRates,
				Destinations: []Destination{
					{Family: "inet", Address: "10.0.1.3", Forward: "tunnel", Tunnel: &Tunnel{Type: "gre", Flags: []string{"remcsum"}},
						Stats: zero, Rates: zeroRates},
					{Family: "inet", Address: "10.0.1.4", Forward: "local", Stats: zero, Rates: zeroRates},
				}},
			{Family: "inet6", Protocol: "sctp", Address: "2001:db8::1", Port: ptr[uint16](443), Scheduler: "mh", Flags: []string{"persistent", "mh-port"},
				Persistence: &Persistence{Timeout: 60, Netmask: "ffff:ffff:ffff:ffff::", PrefixLength: ptr(64)},
				Stats:       zero, Rates: zeroRates, Destinations: []Destination{}},
		},
	}
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("decoded document (-want +got):\n%s", diff)
	}

	// Members that must be present or absent, seen without Go's types.
	m := generic(t, data)
	svcs := m["services"].([]any)
	has := func(v any, key string) bool { _, ok := v.(map[string]any)[key]; return ok }
	for _, k := range []string{"protocol", "address", "port"} {
		if has(svcs[1], k) {
			t.Errorf("fwmark service has %q", k)
		}
		if !has(svcs[2], k) {
			t.Errorf("port-0 service lacks %q", k)
		}
	}
	if has(svcs[0], "fwmark") || has(svcs[1], "persistence") || has(svcs[0], "pe") {
		t.Errorf("optional members present where they should not be: %s", data)
	}
	if d := svcs[3].(map[string]any)["destinations"]; d == nil {
		t.Errorf("empty destinations decode as %v, want []", d)
	}
	if got := svcs[0].(map[string]any)["stats"].(map[string]any)["in_bytes"].(json.Number); got != "18446744073709551615" {
		t.Errorf("in_bytes %s, want 2^64-1 in full", got)
	}
}

// TestIncludeSelectsMembers checks that stats and rates appear only when
// asked for.
func TestIncludeSelectsMembers(t *testing.T) {
	for _, inc := range []Include{{}, {Stats: true}, {Rates: true}, {Stats: true, Rates: true}} {
		m := generic(t, writeServices(t, IPVS{}, convert(inc)))
		for _, s := range m["services"].([]any) {
			objs := []any{s}
			objs = append(objs, s.(map[string]any)["destinations"].([]any)...)
			for _, o := range objs {
				_, st := o.(map[string]any)["stats"]
				_, rt := o.(map[string]any)["rates"]
				if st != inc.Stats || rt != inc.Rates {
					t.Errorf("%+v: stats %v rates %v in %v", inc, st, rt, o)
				}
			}
		}
	}
}

// TestCounters64 round-trips counters beyond 32 and 53 bits.
func TestCounters64(t *testing.T) {
	for _, v := range []uint64{0, 1<<32 - 1, 1 << 32, 1 << 40, 1<<53 + 1, math.MaxUint64} {
		st := ipvs.Stats{Connections: v, PacketsIn: v, PacketsOut: v, BytesIn: v, BytesOut: v, CPS: v, PPSIn: v, PPSOut: v, BPSIn: v, BPSOut: v}
		se := ipvs.ServiceEntry{Service: ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.INET, FWMark: 1}}, Stats: st}
		de := ipvs.DestinationEntry{Destination: ipvs.Destination{Family: ipvs.INET, Addr: addr("10.0.0.1")}, Stats: st}
		var doc Services
		decodeStrict(t, writeServices(t, IPVS{}, []Service{NewService(se, []ipvs.DestinationEntry{de}, Include{Stats: true, Rates: true})}), &doc)
		s, d := doc.Services[0], doc.Services[0].Destinations[0]
		want := Stats{v, v, v, v, v}
		wantRates := Rates{v, v, v, v, v}
		if *s.Stats != want || *d.Stats != want || *s.Rates != wantRates || *d.Rates != wantRates {
			t.Errorf("%d: service %+v %+v, destination %+v %+v", v, *s.Stats, *s.Rates, *d.Stats, *d.Rates)
		}
	}
}

// TestEmpty checks that empty tables are empty arrays, never null.
func TestEmpty(t *testing.T) {
	data := writeServices(t, IPVS{Version: "1.2.1"}, nil)
	if !bytes.Contains(data, []byte(`"services": []`)) {
		t.Errorf("empty services listing:\n%s", data)
	}
	var doc Services
	decodeStrict(t, data, &doc)
	if doc.Services == nil || len(doc.Services) != 0 || doc.Schema != SchemaServices || doc.Version != Version {
		t.Errorf("empty services document decodes as %+v", doc)
	}

	var buf bytes.Buffer
	w, err := NewConnectionsWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"schema\": \"ipvsadm-go/connections\",\n  \"version\": 1,\n  \"connections\": []\n}\n"; buf.String() != want {
		t.Errorf("empty connections listing %q, want %q", buf.String(), want)
	}

	buf.Reset()
	if err := WriteDaemons(&buf, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"daemons": []`) {
		t.Errorf("no daemons: %s", buf.String())
	}
	if got := NewDaemons(nil); got == nil {
		t.Error("NewDaemons(nil) is nil")
	}
}

// TestLayout checks that the streamed document is byte for byte what
// encoding the whole document at once gives, with and without an error.
func TestLayout(t *testing.T) {
	all := convert(Include{Stats: true})
	all[0].Destinations[0].Address = "<&>" // HTML characters stay as they are
	for n := 0; n <= len(all); n++ {
		for _, fail := range []string{"", `No such "service" <&>`} {
			var buf bytes.Buffer
			w, err := NewServicesWriter(&buf, IPVS{Version: "1.2.1", ConnTableSize: 4096})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i++ {
				if err := w.Write(&all[i]); err != nil {
					t.Fatal(err)
				}
			}
			if fail != "" {
				err = w.Fail(fail)
			} else {
				err = w.Close()
			}
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			enc.Encode(Services{Schema: SchemaServices, Version: Version, IPVS: IPVS{Version: "1.2.1", ConnTableSize: 4096},
				Services: append([]Service{}, all[:n]...), Error: fail})
			if diff := cmp.Diff(want.String(), buf.String()); diff != "" {
				t.Errorf("%d services, error %q: stream differs from the encoder (-want +got):\n%s", n, fail, diff)
			}
			if err := w.Close(); err == nil {
				t.Error("Close after the end succeeded")
			}
		}
	}
}

// TestConnections converts rows of the connection table read by
// connections.Reader.
func TestConnections(t *testing.T) {
	in := "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n" +
		"TCP 0A090001 C350 0A09000A 0050 0A090002 1F90 ESTABLISHED     899\n" +
		"UDP 2001:0db8:0000:0000:0000:0000:0000:0009 13C4 2001:0db8:0000:0000:0000:0000:0000:000a 13C4 2001:0db8:0000:0000:0000:0000:0000:0002 13C4 UDP             299 sip 1234@example\n"
	rd, err := connections.NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := NewConnectionsWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for {
		row, err := rd.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		c := NewConnection(row)
		if err := w.Write(&c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var doc Connections
	decodeStrict(t, buf.Bytes(), &doc)
	want := Connections{Schema: SchemaConnections, Version: 1, Connections: []Connection{
		{Protocol: "tcp", ClientAddress: "10.9.0.1", ClientPort: 50000, VirtualAddress: "10.9.0.10", VirtualPort: 80,
			DestinationAddress: "10.9.0.2", DestinationPort: 8080, State: "ESTABLISHED", Expires: 899},
		{Protocol: "udp", ClientAddress: "2001:db8::9", ClientPort: 5060, VirtualAddress: "2001:db8::a", VirtualPort: 5060,
			DestinationAddress: "2001:db8::2", DestinationPort: 5060, State: "UDP", Expires: 299, PEName: "sip", PEData: "1234@example"},
	}}
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("connections (-want +got):\n%s", diff)
	}
}

func TestTimeoutAndDaemons(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTimeout(&buf, NewTimeout(ipvs.Timeouts{TCP: 900 * time.Second, TCPFin: 120 * time.Second, UDP: 300 * time.Second})); err != nil {
		t.Fatal(err)
	}
	var td TimeoutDocument
	decodeStrict(t, buf.Bytes(), &td)
	if want := (TimeoutDocument{SchemaTimeout, 1, Timeout{900, 120, 300}}); td != want {
		t.Errorf("timeout document %+v, want %+v", td, want)
	}

	buf.Reset()
	ds := NewDaemons([]ipvs.Daemon{
		{State: ipvs.Master, Interface: "eth0", SyncID: 5, MaxLen: 1472, Group: addr("224.0.0.81"), Port: 8848, TTL: 1},
		{State: 4, Interface: "skipped"},
		{State: ipvs.Master | ipvs.Backup, Interface: "both"},
		{State: ipvs.Backup, Interface: "eth1", Group: addr("ff02::81")},
	})
	if err := WriteDaemons(&buf, ds); err != nil {
		t.Fatal(err)
	}
	var dd Daemons
	decodeStrict(t, buf.Bytes(), &dd)
	want := Daemons{Schema: SchemaDaemons, Version: 1, Daemons: []Daemon{
		{State: "master", Interface: "eth0", SyncID: 5, MaxLen: 1472, Group: "224.0.0.81", Port: 8848, TTL: 1},
		{State: "master", Interface: "both"},
		{State: "backup", Interface: "eth1", Group: "ff02::81"},
	}}
	if diff := cmp.Diff(want, dd); diff != "" {
		t.Errorf("daemons (-want +got):\n%s", diff)
	}
	if _, has := generic(t, buf.Bytes())["daemons"].([]any)[1].(map[string]any)["group"]; has {
		t.Error("a daemon without a group has a group member")
	}
}

func TestPersistenceMask(t *testing.T) {
	tests := []struct {
		fam    ipvs.Family
		mask   uint32
		text   string
		prefix *int
	}{
		{ipvs.INET, 0xffffffff, "255.255.255.255", ptr(32)},
		{ipvs.INET, 0xffff0000, "255.255.0.0", ptr(16)},
		{ipvs.INET, 0, "0.0.0.0", ptr(0)},
		{ipvs.INET, 0xff00ff00, "255.0.255.0", nil},
		{ipvs.INET6, 128, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ptr(128)},
		{ipvs.INET6, 61, "ffff:ffff:ffff:fff8::", ptr(61)},
		{ipvs.INET6, 1, "8000::", ptr(1)},
	}
	for _, tt := range tests {
		p := persistence(tt.fam, 7*time.Second, tt.mask)
		if want := (&Persistence{Timeout: 7, Netmask: tt.text, PrefixLength: tt.prefix}); !cmp.Equal(want, p) {
			t.Errorf("%v %#x: %+v, want %+v", tt.fam, tt.mask, p, want)
		}
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteError(t *testing.T) {
	w, err := NewConnectionsWriter(failingWriter{})
	if err != nil {
		t.Fatal(err)
	}
	c := Connection{Protocol: "tcp"}
	if err := w.Write(&c); err != nil {
		t.Fatalf("buffered write failed early: %v", err)
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("Close on a broken writer: %v", err)
	}
	if err := w.Write(&c); err == nil {
		t.Error("Write after a failed Close succeeded")
	}
}
