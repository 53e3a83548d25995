package names

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const hostsFile = `# comment line
127.0.0.1	localhost
127.0.1.1	box.example.com	box
::1     localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
10.0.0.1 web1.example.com web1 www   # trailing comment
10.0.0.1 second-line.example.com
10.0.0.2 WebTwo.Example.COM alias2
010.0.0.3 leading-zero-is-not-inet_pton
10.0.0.4
2001:db8::5 v6only.example
fe80::1%eth0 zoned
::ffff:10.0.0.6 mapped-line
10.0.0.7 web1
`

const servicesFile = `# Network services, Internet style
tcpmux		1/tcp				# TCP port service multiplexer
ssh		22/tcp				# SSH Remote Login Protocol
http		80/tcp		www		# WorldWideWeb HTTP
http-udp	80/udp
domain		53/tcp
domain		53/udp
diameter	3868/tcp
diameter	3868/sctp
sip		5060/tcp
sip		5060/udp
http-alt	8080/tcp	webcache
second-http	80/tcp
broken		notaport/tcp
noslash		99
big		66535/tcp
`

func newTest(t *testing.T, dns DNS) *Resolver {
	t.Helper()
	dir := t.TempDir()
	h := filepath.Join(dir, "hosts")
	s := filepath.Join(dir, "services")
	if err := os.WriteFile(h, []byte(hostsFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s, []byte(servicesFile), 0o644); err != nil {
		t.Fatal(err)
	}
	return New(h, s, dns)
}

// fakeDNS answers from maps and records the reverse queries.
type fakeDNS struct {
	ptr     map[string][]string
	a       map[string][]netip.Addr
	queries []string
}

func (f *fakeDNS) LookupAddr(_ context.Context, addr string) ([]string, error) {
	f.queries = append(f.queries, addr)
	if n, ok := f.ptr[addr]; ok {
		return n, nil
	}
	return nil, errors.New("NXDOMAIN")
}

func (f *fakeDNS) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	if network != "ip4" {
		return nil, errors.New("unexpected network " + network)
	}
	if a, ok := f.a[host]; ok {
		return a, nil
	}
	return nil, errors.New("NXDOMAIN")
}

var addr = netip.MustParseAddr

func TestHostByAddr(t *testing.T) {
	dns := &fakeDNS{ptr: map[string][]string{
		"192.0.2.1":   {"ptr.example.net.", "other.example.net."},
		"2001:db8::9": {"v6ptr.example.net."},
		"10.0.0.99":   {"mapped.example.net."},
	}}
	r := newTest(t, dns)
	tests := []struct {
		a      string
		want   string
		wantOK bool
	}{
		{"127.0.0.1", "localhost", true},
		{"127.0.1.1", "box.example.com", true},
		{"10.0.0.1", "web1.example.com", true}, // first line, canonical name
		{"10.0.0.2", "WebTwo.Example.COM", true},
		{"::1", "localhost", true},
		{"ff02::1", "ip6-allnodes", true},
		{"2001:db8::5", "v6only.example", true},
		{"::ffff:10.0.0.6", "mapped-line", true},
		{"10.0.0.6", "", false}, // an IPv6 line does not answer an IPv4 query
		{"10.0.0.3", "", false}, // 010.0.0.3 is not inet_pton text
		{"10.0.0.4", "", false}, // no name on the line
		{"fe80::1", "", false},  // zoned text is not inet_pton text
		{"192.0.2.1", "ptr.example.net", true},
		{"2001:db8::9", "v6ptr.example.net", true},
		{"::ffff:10.0.0.99", "mapped.example.net", true}, // asked as 10.0.0.99
		{"::10.0.0.99", "mapped.example.net", true},      // compat form too
		{"192.0.2.2", "", false},
		{"::", "", false},
	}
	for _, tt := range tests {
		got, ok := r.HostByAddr(addr(tt.a))
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("HostByAddr(%s) = %q, %v; want %q, %v", tt.a, got, ok, tt.want, tt.wantOK)
		}
	}
	// Repeated lookups are answered from the cache.
	n := len(dns.queries)
	r.HostByAddr(addr("192.0.2.1"))
	r.HostByAddr(addr("192.0.2.2"))
	if len(dns.queries) != n {
		t.Errorf("DNS asked again: %v", dns.queries[n:])
	}
	for _, q := range dns.queries {
		if q == "::" || q == "::1" {
			t.Errorf("DNS asked for %s", q)
		}
	}
	if _, ok := r.HostByAddr(netip.Addr{}); ok {
		t.Error("HostByAddr(zero) found a name")
	}
}

func TestNoFilesNoDNS(t *testing.T) {
	r := New(filepath.Join(t.TempDir(), "none"), filepath.Join(t.TempDir(), "none"), nil)
	if _, ok := r.HostByAddr(addr("127.0.0.1")); ok {
		t.Error("HostByAddr found a name without files")
	}
	if _, ok := r.ServiceByPort(22, "tcp"); ok {
		t.Error("ServiceByPort found a name without files")
	}
	if _, err := r.LookupHost("localhost"); !errors.Is(err, ErrNotFound) {
		t.Errorf("LookupHost err = %v", err)
	}
	if _, err := r.LookupPort("ssh", "tcp"); !errors.Is(err, ErrNotFound) {
		t.Errorf("LookupPort err = %v", err)
	}
}

func TestDefaults(t *testing.T) {
	r := New("", "", nil)
	if r.hostsPath != HostsPath || r.servicesPath != ServicesPath {
		t.Errorf("paths = %q, %q", r.hostsPath, r.servicesPath)
	}
}

func TestServiceByPort(t *testing.T) {
	r := newTest(t, nil)
	tests := []struct {
		port   uint16
		proto  string
		want   string
		wantOK bool
	}{
		{22, "tcp", "ssh", true},
		{22, "udp", "", false},
		{80, "tcp", "http", true}, // first of two entries
		{80, "udp", "http-udp", true},
		{3868, "sctp", "diameter", true},
		{5060, "udp", "sip", true},
		{8080, "tcp", "http-alt", true},
		{8080, "TCP", "", false},
		{80, "sctp", "", false},
		{80, "", "", false},
		{1, "tcp", "tcpmux", true},
		{80, "tcp", "http", true},
		{66535 % 65536, "tcp", "big", true}, // strtoul then cut to 16 bits
	}
	for _, tt := range tests {
		got, ok := r.ServiceByPort(tt.port, tt.proto)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ServiceByPort(%d, %q) = %q, %v; want %q, %v", tt.port, tt.proto, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestLookupPort(t *testing.T) {
	r := newTest(t, nil)
	tests := []struct {
		name, proto string
		want        uint16
		wantErr     bool
	}{
		{"ssh", "tcp", 22, false},
		{"http", "tcp", 80, false},
		{"www", "tcp", 80, false}, // alias
		{"webcache", "tcp", 8080, false},
		{"http-alt", "udp", 0, true}, // tcp-only name (reference case 27)
		{"HTTP", "tcp", 0, true},     // case-sensitive
		{"diameter", "sctp", 3868, false},
		{"domain", "udp", 53, false},
		{"nosuch", "tcp", 0, true},
		{"noslash", "tcp", 0, true},
	}
	for _, tt := range tests {
		got, err := r.LookupPort(tt.name, tt.proto)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("LookupPort(%q, %q) = %d, %v; want %d, error %v", tt.name, tt.proto, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Errorf("LookupPort error %v is not ErrNotFound", err)
		}
	}
}

func TestLookupHost(t *testing.T) {
	dns := &fakeDNS{a: map[string][]netip.Addr{
		"dns.example.net": {addr("192.0.2.7"), addr("192.0.2.8")},
		"v6only.example":  {addr("192.0.2.99")}, // not reached: hosts has it as IPv6 only... see below
		"mapped.example":  {addr("::ffff:192.0.2.9")},
	}}
	r := newTest(t, dns)
	tests := []struct {
		name    string
		want    string
		wantErr bool
	}{
		{"localhost", "127.0.0.1", false},
		{"LOCALHOST", "127.0.0.1", false},
		{"web1", "10.0.0.1", false}, // first line with the name
		{"www", "10.0.0.1", false},
		{"webtwo.example.com", "10.0.0.2", false},
		{"alias2", "10.0.0.2", false},
		{"box", "127.0.1.1", false},
		{"ip6-localhost", "", true}, // IPv6 lines never answer
		{"dns.example.net", "192.0.2.7", false},
		{"mapped.example", "192.0.2.9", false},
		{"nosuch.example", "", true},
		{"1.2.3.4", "", true}, // literals are not looked up
		{"1.2.3.4.5", "", true},
		{"::1", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := r.LookupHost(tt.name)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != addr(tt.want)) {
			t.Errorf("LookupHost(%q) = %v, %v; want %s, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Errorf("LookupHost error %v is not ErrNotFound", err)
		}
	}
	// An IPv6-only hosts entry falls through to DNS (glibc's files backend
	// skips the line for an AF_INET query); without DNS it fails, as in
	// reference case 27.
	if got, err := r.LookupHost("v6only.example"); err != nil || got != addr("192.0.2.99") {
		t.Errorf("LookupHost(v6only.example) with DNS = %v, %v", got, err)
	}
	if _, err := newTest(t, nil).LookupHost("v6only.example"); !errors.Is(err, ErrNotFound) {
		t.Errorf("LookupHost(v6only.example) without DNS: err = %v", err)
	}
}

func TestFields(t *testing.T) {
	got := fields(" a\tb \v c#d e", nil)
	if diff := cmp.Diff([]string{"a", "b", "c"}, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

// Resolver is what render.Namer asks for.
var _ interface {
	HostByAddr(netip.Addr) (string, bool)
	ServiceByPort(port uint16, proto string) (string, bool)
} = (*Resolver)(nil)

func TestSystem(t *testing.T) {
	r := System()
	if r.hostsPath != HostsPath || r.servicesPath != ServicesPath || r.dns == nil {
		t.Errorf("System() = %+v", r)
	}
}
