// Package sockopt reads the destinations of IPv4 virtual services through
// IPVS's socket-option interface, the one the kernel kept beside generic
// netlink for old clients: one getsockopt lists every IPv4 service with its
// number of destinations, and one more per service, a single hash lookup in
// the kernel, returns its destinations.
//
// That is why listings use it: a netlink dump and /proc/net/ip_vs both make
// the kernel restart its walk of the whole service table for every part
// they return (32 KiB of a dump, 4 KiB of /proc), so reading a table of n
// services costs the kernel time in n², while these calls cost it time in
// n. The interface knows nothing of IPv6, persistence engines or tunnel
// settings, and skips a destination whose family differs from its
// service's, so callers take the services from the netlink dump and only
// the destinations from here, and Table.AppendDestinations declines
// whatever it cannot answer in full. Table.ReadAll asks for every service
// in the kernel's own order, in which its lookups stay in cache.
package sockopt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"unsafe"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"golang.org/x/sys/unix"
)

// The socket options, from include/uapi/linux/ip_vs.h: IP_VS_BASE_CTL and
// the get commands used here.
const (
	baseCtl     = 64 + 1024 + 64
	getInfo     = baseCtl + 1
	getServices = baseCtl + 2
	getDests    = baseCtl + 4
)

// The layouts of the kernel's structures on a 64-bit machine, where
// struct ip_vs_stats_user (which holds two __u64) is 8-aligned.
const (
	infoLen = 12 // struct ip_vs_getinfo: version, size, num_services

	servicesHeader = 8   // struct ip_vs_get_services: num_services, padding
	serviceLen     = 104 // struct ip_vs_service_entry
	svcProtocol    = 0   // __u16
	svcAddr        = 4   // __be32
	svcPort        = 8   // __be16
	svcFWMark      = 12  // __u32
	svcNumDests    = 44  // unsigned int

	destsHeader = 24 // struct ip_vs_get_dests: protocol, addr, port, fwmark, num_dests, padding
	destLen     = 96 // struct ip_vs_dest_entry
	dstAddr     = 0  // __be32
	dstPort     = 4  // __be16
	dstFlags    = 8  // conn_flags
	dstWeight   = 12 // int, never negative
	dstUpper    = 16
	dstLower    = 20
	dstActive   = 24
	dstInactive = 28
	dstPersist  = 32

	// fwdMask is IP_VS_CONN_F_FWD_MASK: the forwarding method's bits of
	// conn_flags.
	fwdMask = 0x7
	// unfilled is a weight no destination has (the kernel refuses a
	// negative one): entries still holding it were not written.
	unfilled = 0xffffffff
)

// ErrUnsupported is Open's error on a machine whose structures this
// package does not lay out (a 32-bit one).
var ErrUnsupported = errors.New("the socket-option interface is read only on 64-bit machines")

// key is a service's key as this interface gives it, without pointers.
type key struct {
	addr   uint32
	fwmark uint32
	port   uint16
	proto  uint16
}

// Table holds how many destinations each IPv4 service had when Open read
// them, and the socket to ask for them; after ReadAll, the destinations
// themselves. A nil *Table has no services.
type Table struct {
	fd       int
	services map[key]service
	order    []key  // the services in the kernel's order
	buf      []byte // the last request and its answer, reused
	read     []byte // what ReadAll read: keptLen bytes of each destination's entry
}

// service is what a Table knows of one IPv4 service.
type service struct {
	dests uint32 // its number of destinations when Open read them
	// read is where ReadAll put its destinations in Table.read, in
	// entries of keptLen bytes, or notRead or declined.
	read int
}

const (
	notRead  = -1 // ReadAll has not read the service
	declined = -2 // ReadAll could not read all of its destinations

	// keptLen is how much of a destination's entry ReadAll keeps: up to
	// its persistent connections, the last field it gives.
	keptLen = dstPersist + 4
)

// Open opens a raw socket and reads through it the number of destinations
// of every IPv4 service. The socket is opened by in, if not nil, which
// calls the function it is given where the table is meant (as
// netns.Namespace.Do does in another network namespace); else in the
// calling thread's namespace.
func Open(in func(func() error) error) (*Table, error) {
	if unsafe.Alignof(uint64(0)) != 8 || unsafe.Sizeof(uintptr(0)) != 8 {
		return nil, ErrUnsupported
	}
	if in == nil {
		in = func(fn func() error) error { return fn() }
	}
	t := &Table{fd: -1}
	if err := in(func() (err error) {
		t.fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
		return err
	}); err != nil {
		return nil, fmt.Errorf("opening a raw socket: %w", err)
	}
	var info [infoLen]byte
	if err := t.get(getInfo, info[:]); err != nil {
		t.Close()
		return nil, fmt.Errorf("reading IPVS information: %w", err)
	}
	// Only IPv4 services are counted, and only they are listed.
	n := int(binary.NativeEndian.Uint32(info[8:]))
	buf := make([]byte, servicesHeader+n*serviceLen)
	binary.NativeEndian.PutUint32(buf, uint32(n))
	if err := t.get(getServices, buf); err != nil {
		t.Close()
		return nil, fmt.Errorf("reading the IPv4 services: %w", err)
	}
	t.services = make(map[key]service, n)
	t.order = make([]key, 0, n)
	for e := buf[servicesHeader:]; len(e) >= serviceLen; e = e[serviceLen:] {
		k := key{fwmark: binary.NativeEndian.Uint32(e[svcFWMark:])}
		if k.fwmark == 0 { // else the kernel gives a protocol (TCP) but no address
			k.proto = binary.NativeEndian.Uint16(e[svcProtocol:])
			k.addr = binary.BigEndian.Uint32(e[svcAddr:])
			k.port = binary.BigEndian.Uint16(e[svcPort:])
		}
		if k.proto == 0 && k.fwmark == 0 {
			break // fewer services than counted: one went meanwhile
		}
		t.services[k] = service{dests: binary.NativeEndian.Uint32(e[svcNumDests:]), read: notRead}
		t.order = append(t.order, k)
	}
	return t, nil
}

// Close closes the table's socket.
func (t *Table) Close() error {
	if t == nil || t.fd < 0 {
		return nil
	}
	err := unix.Close(t.fd)
	t.fd = -1
	return err
}

// get asks the kernel for the socket option name, with buf as both the
// request and the room for the answer.
func (t *Table) get(name int, buf []byte) error {
	n := uint32(len(buf))
	_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(t.fd), unix.IPPROTO_IP, uintptr(name),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// keyOf is k as this interface knows it; false for a service it does not
// list (an IPv6 one).
func keyOf(k ipvs.ServiceKey) (key, bool) {
	if k.Family != ipvs.INET {
		return key{}, false
	}
	if k.FWMark != 0 {
		return key{fwmark: k.FWMark}, true
	}
	if !k.Addr.Is4() {
		return key{}, false
	}
	a := k.Addr.As4()
	return key{proto: uint16(k.Protocol), addr: binary.BigEndian.Uint32(a[:]), port: k.Port}, true
}

// AppendDestinations appends the destinations of the service k to dst, in
// the kernel's order, with what the interface tells of them: everything a
// netlink dump does but the tunnel settings and the counters' statistics.
// It reports false, leaving dst as it was, when it cannot answer for all
// of them: k is not an IPv4 service of the table, the service is gone, or
// it has a destination of another family (which the kernel skips here), or
// its number of destinations changed since Open; the caller then dumps
// the service instead. After ReadAll it answers from what ReadAll read.
func (t *Table) AppendDestinations(dst []ipvs.DestinationEntry, k ipvs.ServiceKey) ([]ipvs.DestinationEntry, bool) {
	if t == nil {
		return dst, false
	}
	sk, ok := keyOf(k)
	if !ok {
		return dst, false
	}
	s, ok := t.services[sk]
	if !ok {
		return dst, false
	}
	var entries []byte
	stride := keptLen
	switch s.read {
	case declined:
		return dst, false
	case notRead:
		if entries, ok = t.destinations(sk, s.dests); !ok {
			return dst, false
		}
		stride = destLen
	default:
		entries = t.read[s.read : s.read+int(s.dests)*keptLen]
	}
	for i := 0; i < int(s.dests); i++ {
		e := entries[i*stride:]
		var a [4]byte
		copy(a[:], e[dstAddr:dstAddr+4])
		dst = append(dst, ipvs.DestinationEntry{
			Destination: ipvs.Destination{
				Family:         ipvs.INET,
				Addr:           netip.AddrFrom4(a),
				Port:           binary.BigEndian.Uint16(e[dstPort:]),
				Method:         ipvs.ForwardMethod(binary.NativeEndian.Uint32(e[dstFlags:]) & fwdMask),
				Weight:         binary.NativeEndian.Uint32(e[dstWeight:]),
				UpperThreshold: binary.NativeEndian.Uint32(e[dstUpper:]),
				LowerThreshold: binary.NativeEndian.Uint32(e[dstLower:]),
			},
			ActiveConns:     binary.NativeEndian.Uint32(e[dstActive:]),
			InactiveConns:   binary.NativeEndian.Uint32(e[dstInactive:]),
			PersistentConns: binary.NativeEndian.Uint32(e[dstPersist:]),
		})
	}
	return dst, true
}

// ReadAll reads the destinations of every service, in the kernel's order,
// and keeps them for AppendDestinations, which then asks the kernel
// nothing. The kernel finds a service by walking one chain of its service
// hash table: in its own order consecutive services share a chain still in
// the processor's caches, while in another order (a sorted listing's)
// every lookup walks a cold one (at 100,000 services, a sorted -Ln took 5 s
// more of the kernel's time than an unsorted one in the test VM).
func (t *Table) ReadAll() {
	if t == nil {
		return
	}
	total := 0
	for _, s := range t.services {
		total += int(s.dests)
	}
	t.read = make([]byte, 0, total*keptLen)
	for _, k := range t.order {
		s := t.services[k]
		entries, ok := t.destinations(k, s.dests)
		if !ok {
			s.read = declined
		} else {
			s.read = len(t.read)
			for i := 0; i < int(s.dests); i++ {
				t.read = append(t.read, entries[i*destLen:i*destLen+keptLen]...)
			}
		}
		t.services[k] = s
	}
}

// destinations asks the kernel for the destinations of the service k,
// which had want of them at Open: their entries, valid until the next
// request, or false if the kernel gave another number of them.
func (t *Table) destinations(k key, want uint32) ([]byte, bool) {
	// One entry more than expected: if the kernel fills it, the service
	// has gained destinations since Open and the answer may lack one.
	room := int(want) + 1
	size := destsHeader + room*destLen
	if cap(t.buf) < size {
		t.buf = make([]byte, size)
	}
	buf := t.buf[:size]
	clear(buf[:destsHeader])
	binary.NativeEndian.PutUint16(buf[0:], k.proto)
	binary.BigEndian.PutUint32(buf[4:], k.addr)
	binary.BigEndian.PutUint16(buf[8:], k.port)
	binary.NativeEndian.PutUint32(buf[12:], k.fwmark)
	binary.NativeEndian.PutUint32(buf[16:], uint32(room))
	entries := buf[destsHeader:]
	for i := 0; i < room; i++ {
		binary.NativeEndian.PutUint32(entries[i*destLen+dstWeight:], unfilled)
	}
	if err := t.get(getDests, buf); err != nil {
		return nil, false
	}
	filled := 0
	for filled < room && binary.NativeEndian.Uint32(entries[filled*destLen+dstWeight:]) != unfilled {
		filled++
	}
	return entries, filled == int(want)
}
