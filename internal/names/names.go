// Package names is the name service ipvsadm uses when -n is not given: host
// names from /etc/hosts and DNS, service names from /etc/services, in both
// directions, with the semantics of the glibc calls the original makes
// (gethostbyaddr, getservbyport, gethostbyname, getservbyname) under
// Debian's default "hosts: files dns" and "services: files".
//
// It is pure Go (the binary is built with CGO_ENABLED=0). The two files are
// read once per Resolver, on first use, and indexed; a missing or unreadable
// file counts as empty, as glibc's files backend treats it.
package names

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvstext"
)

// Default file locations.
const (
	HostsPath    = "/etc/hosts"
	ServicesPath = "/etc/services"
)

// DNS is the part of *net.Resolver this package uses. A nil DNS disables
// DNS: only the hosts file answers.
type DNS interface {
	LookupAddr(ctx context.Context, addr string) ([]string, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ DNS = (*net.Resolver)(nil)

// System returns the Resolver for the real system: HostsPath, ServicesPath
// and Go's own DNS client (which reads /etc/resolv.conf).
func System() *Resolver {
	return New(HostsPath, ServicesPath, &net.Resolver{PreferGo: true})
}

// ErrNotFound is returned (wrapped) by the forward lookups when no source
// knows the name.
var ErrNotFound = errors.New("not found")

// dnsCacheMax bounds the reverse-DNS cache so that resolving a huge
// connection table keeps memory flat.
const dnsCacheMax = 4096

// Resolver answers name queries from a hosts file, a services file and
// optionally DNS. It is safe for concurrent use. The zero value is not
// usable; call New.
type Resolver struct {
	hostsPath    string
	servicesPath string
	dns          DNS

	hostsOnce sync.Once
	hosts     hostsIndex

	servicesOnce sync.Once
	services     servicesIndex

	mu       sync.Mutex
	dnsCache map[netip.Addr]dnsAnswer
}

type dnsAnswer struct {
	name string
	ok   bool
}

// New returns a Resolver reading the given hosts and services files (empty
// paths mean HostsPath and ServicesPath) and asking dns when the hosts file
// has no answer. Production code passes &net.Resolver{PreferGo: true};
// tests pass nil or a fake.
func New(hostsPath, servicesPath string, dns DNS) *Resolver {
	if hostsPath == "" {
		hostsPath = HostsPath
	}
	if servicesPath == "" {
		servicesPath = ServicesPath
	}
	return &Resolver{hostsPath: hostsPath, servicesPath: servicesPath, dns: dns}
}

// HostByAddr returns the host name of addr as gethostbyaddr would: the first
// name (the canonical one) of the first hosts-file line whose address
// equals addr, else the first PTR name from DNS without its trailing dot.
// IPv4 addresses (Is4) are looked up as AF_INET, all others as AF_INET6;
// hosts-file lines only match addresses of their own family. The IPv6
// unspecified address "::" is never looked up (glibc refuses it). Before
// asking DNS, IPv4-mapped and IPv4-compatible IPv6 addresses (other than
// ::1) are turned into their IPv4 address, as glibc's DNS backend does.
func (r *Resolver) HostByAddr(addr netip.Addr) (string, bool) {
	if !addr.IsValid() {
		return "", false
	}
	addr = addr.WithZone("")
	if addr.Is6() && addr == netip.IPv6Unspecified() {
		return "", false
	}
	r.hostsOnce.Do(r.loadHosts)
	if name, ok := r.hosts.byAddr[addr]; ok {
		return name, true
	}
	if r.dns == nil {
		return "", false
	}
	q := addr
	if q.Is6() {
		b := q.As16()
		if isMappedOrCompat(b) {
			q = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		}
	}
	r.mu.Lock()
	if a, ok := r.dnsCache[q]; ok {
		r.mu.Unlock()
		return a.name, a.ok
	}
	r.mu.Unlock()
	var ans dnsAnswer
	if names, err := r.dns.LookupAddr(context.Background(), q.String()); err == nil && len(names) > 0 {
		ans = dnsAnswer{name: strings.TrimSuffix(names[0], "."), ok: true}
	}
	r.mu.Lock()
	if r.dnsCache == nil || len(r.dnsCache) >= dnsCacheMax {
		r.dnsCache = make(map[netip.Addr]dnsAnswer)
	}
	r.dnsCache[q] = ans
	r.mu.Unlock()
	return ans.name, ans.ok
}

// isMappedOrCompat reports whether b is ::ffff:a.b.c.d, or ::a.b.c.d other
// than ::0.0.0.1 (glibc's "mapped" and "tunnelled" forms).
func isMappedOrCompat(b [16]byte) bool {
	for _, c := range b[:10] {
		if c != 0 {
			return false
		}
	}
	if b[10] == 0xff && b[11] == 0xff {
		return true
	}
	if b[10] != 0 || b[11] != 0 {
		return false
	}
	return !(b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 1)
}

// ServiceByPort returns the service name of port for proto ("tcp", "udp",
// "sctp") as getservbyport would: the first name of the first services-file
// entry with that port and exactly that protocol.
func (r *Resolver) ServiceByPort(port uint16, proto string) (string, bool) {
	r.servicesOnce.Do(r.loadServices)
	name, ok := r.services.byPort[portKey{port, proto}]
	return name, ok
}

// LookupHost resolves name to an IPv4 address as gethostbyname would: the
// address of the first hosts-file line (IPv4 lines only) that has name as
// its canonical name or an alias (ASCII case-insensitive), else the first
// IPv4 address from DNS. Names that are address literals (all digits and
// dots, or IPv6 text) are not looked up and yield an error, as glibc does
// for gethostbyname; callers try inet_aton before calling this.
func (r *Resolver) LookupHost(name string) (netip.Addr, error) {
	if name == "" || isDigitsDots(name) {
		return netip.Addr{}, fmt.Errorf("host %q: %w", name, ErrNotFound)
	}
	if _, ok := ipvstext.ParseIPv6(name); ok {
		return netip.Addr{}, fmt.Errorf("host %q: %w", name, ErrNotFound)
	}
	r.hostsOnce.Do(r.loadHosts)
	if a, ok := r.hosts.byName[asciiLower(name)]; ok {
		return a, nil
	}
	if r.dns == nil {
		return netip.Addr{}, fmt.Errorf("host %q: %w", name, ErrNotFound)
	}
	addrs, err := r.dns.LookupNetIP(context.Background(), "ip4", name)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("host %q: %w: %v", name, ErrNotFound, err)
	}
	for _, a := range addrs {
		if a = a.Unmap(); a.Is4() {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("host %q: %w", name, ErrNotFound)
}

// LookupPort resolves a service name for proto ("tcp", "udp", "sctp") as
// getservbyname would: the port of the first services-file entry of that
// protocol whose name or one of whose aliases equals name (case-sensitive).
func (r *Resolver) LookupPort(name, proto string) (uint16, error) {
	r.servicesOnce.Do(r.loadServices)
	if p, ok := r.services.byName[nameKey{name, proto}]; ok {
		return p, nil
	}
	return 0, fmt.Errorf("service %q/%s: %w", name, proto, ErrNotFound)
}

func isDigitsDots(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// fields splits a line on C whitespace after cutting it at the first '#'.
func fields(line string, dst []string) []string {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	dst = dst[:0]
	for i, j := ipvstext.NextField(line, 0); i < j; i, j = ipvstext.NextField(line, j) {
		dst = append(dst, line[i:j])
	}
	return dst
}

type hostsIndex struct {
	byAddr map[netip.Addr]string // first line's canonical name
	byName map[string]netip.Addr // lower-cased name or alias -> first IPv4 address
}

func (r *Resolver) loadHosts() {
	r.hosts = hostsIndex{byAddr: map[netip.Addr]string{}, byName: map[string]netip.Addr{}}
	readTable(r.hostsPath, r.hosts.add)
}

// add indexes one hosts line: address, canonical name, aliases.
func (idx *hostsIndex) add(fs []string) {
	a, ok := ipvstext.ParseIPv4(fs[0])
	if !ok {
		if a, ok = ipvstext.ParseIPv6(fs[0]); !ok {
			return
		}
	}
	if _, seen := idx.byAddr[a]; !seen {
		idx.byAddr[a] = fs[1]
	}
	if a.Is4() {
		for _, n := range fs[1:] {
			n = asciiLower(n)
			if _, seen := idx.byName[n]; !seen {
				idx.byName[n] = a
			}
		}
	}
}

type portKey struct {
	port  uint16
	proto string
}

type nameKey struct {
	name, proto string
}

type servicesIndex struct {
	byPort map[portKey]string
	byName map[nameKey]uint16
}

func (r *Resolver) loadServices() {
	r.services = servicesIndex{byPort: map[portKey]string{}, byName: map[nameKey]uint16{}}
	readTable(r.servicesPath, r.services.add)
}

// add indexes one "name port/proto alias..." line. The port is read like
// glibc does (strtoul, then cut to 16 bits).
func (idx *servicesIndex) add(fs []string) {
	slash := strings.IndexByte(fs[1], '/')
	if slash <= 0 {
		return
	}
	n, err := strconv.ParseUint(fs[1][:slash], 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		n = 1<<64 - 1 // strtoul saturates
	} else if err != nil {
		return
	}
	port := uint16(n)
	proto := fs[1][slash+1:]
	if _, seen := idx.byPort[portKey{port, proto}]; !seen {
		idx.byPort[portKey{port, proto}] = fs[0]
	}
	names := append(fs[:1:1], fs[2:]...)
	for _, name := range names {
		k := nameKey{name, proto}
		if _, seen := idx.byName[k]; !seen {
			idx.byName[k] = port
		}
	}
}

// readTable calls add with the fields of each line of the file at path
// that has at least two of them once its comment is cut; add must not keep
// the slice. A missing or unreadable file reads as empty, as glibc's files
// backend treats it.
func readTable(path string, add func(fs []string)) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var fs []string
	for sc.Scan() {
		if fs = fields(sc.Text(), fs); len(fs) >= 2 {
			add(fs)
		}
	}
}
