//go:build linux

package ipvs

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
)

// hexBytes parses a hex dump with blanks and newlines.
func hexBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// answerGets answers the single-reply requests with valid replies, so that
// every method can be driven through the fake kernel.
func answerGets(greq genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error) {
	if nreq.Header.Flags&netlink.Dump == netlink.Dump {
		return nil, nil
	}
	var data []byte
	switch greq.Header.Command {
	case cmdGetInfo:
		data = cat(attr(infoAttrVersion, u32(0x010201)), attr(infoAttrConnTabSize, u32(4096)))
	case cmdGetConfig:
		data = cat(attr(cmdAttrTimeoutTCP, u32(900)))
	case cmdGetService:
		data = nest(cmdAttrService, attr(svcAttrAF, u16(2)), attr(svcAttrFWMark, u32(1)),
			attr(svcAttrSchedName, str("wlc")), attr(svcAttrFlags, u32(2), u32(0xffffffff)),
			attr(svcAttrTimeout, u32(0)), attr(svcAttrNetmask, b32(0xffffffff)))
	default:
		return nil, nil
	}
	return []genetlink.Message{{Header: genetlink.Header{Command: cmdNewService, Version: 1}, Data: data}}, nil
}

// TestNewServiceBytes checks the whole message against the request ipvsadm
// 1.31 sent for "ipvsadm -A -t 192.0.2.1:80 -s rr" (captured from the real binary).
func TestNewServiceBytes(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the captured bytes are from a little-endian host")
	}
	want := hexBytes(t, `
		68 00 00 00 22 00 05 00 00 00 00 00 00 00 00 00
		01 01 00 00
		54 00 01 80
		06 00 01 00 02 00 00 00
		06 00 02 00 06 00 00 00
		14 00 03 00 c0 00 02 01 00 00 00 00 00 00 00 00 00 00 00 00
		06 00 04 00 00 50 00 00
		07 00 06 00 72 72 00 00
		0c 00 07 00 00 00 00 00 ff ff ff ff
		08 00 08 00 00 00 00 00
		08 00 09 00 ff ff ff ff`)

	c, k := newTestClient(t, nil)
	err := c.Do(NewServiceRequest(Service{
		ServiceKey: ServiceKey{Family: INET, Protocol: TCP, Addr: netip.MustParseAddr("192.0.2.1"), Port: 80},
		Scheduler:  "rr",
		Netmask:    0xffffffff,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(k.requests) != 1 {
		t.Fatalf("%d requests, want 1", len(k.requests))
	}
	m := k.requests[0]
	m.Header.Sequence, m.Header.PID = 0, 0
	got, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("request bytes:\nwant %x\n got %x", want, got)
	}
}

func TestRequestEncoding(t *testing.T) {
	const (
		ack  = netlink.Request | netlink.Acknowledge
		dump = netlink.Request | netlink.Acknowledge | netlink.Dump
	)
	v4 := ServiceKey{Family: INET, Protocol: TCP, Addr: netip.MustParseAddr("192.0.2.1"), Port: 80}
	v4attrs := [][]byte{attr(svcAttrAF, u16(2)), attr(svcAttrProtocol, u16(6)),
		attr(svcAttrAddr, ip16("192.0.2.1")), attr(svcAttrPort, b16(80))}
	v6 := ServiceKey{Family: INET6, Protocol: UDP, Addr: netip.MustParseAddr("2001:db8::1"), Port: 53}
	v6attrs := [][]byte{attr(svcAttrAF, u16(10)), attr(svcAttrProtocol, u16(17)),
		attr(svcAttrAddr, ip16("2001:db8::1")), attr(svcAttrPort, b16(53))}
	fw := ServiceKey{Family: INET, FWMark: 7}
	fwattrs := [][]byte{attr(svcAttrAF, u16(2)), attr(svcAttrFWMark, u32(7))}
	defaults := func(key [][]byte, netmask []byte) []byte {
		return nest(cmdAttrService, append(append([][]byte(nil), key...),
			attr(svcAttrSchedName, str("")), attr(svcAttrFlags, u32(0), u32(0xffffffff)),
			attr(svcAttrTimeout, u32(0)), attr(svcAttrNetmask, netmask))...)
	}
	v4svc := defaults(v4attrs, b32(0xffffffff))
	v6svc := defaults(v6attrs, u32(128))
	fwsvc := defaults(fwattrs, b32(0xffffffff))

	rs := Destination{Addr: netip.MustParseAddr("10.0.0.2"), Port: 8080, Method: Masquerade, Weight: 3,
		UpperThreshold: 100, LowerThreshold: 10}
	rsNest := nest(cmdAttrDest, attr(destAttrAddrFamily, u16(2)), attr(destAttrAddr, ip16("10.0.0.2")),
		attr(destAttrPort, b16(8080)), attr(destAttrFwdMethod, u32(0)), attr(destAttrWeight, u32(3)),
		attr(destAttrTunType, u8(0)), attr(destAttrTunPort, b16(0)), attr(destAttrTunFlags, u16(0)),
		attr(destAttrUThresh, u32(100)), attr(destAttrLThresh, u32(10)))
	tun := Destination{Family: INET6, Addr: netip.MustParseAddr("2001:db8::2"), Port: 80, Method: Tunnel,
		Weight: 1, TunnelType: TunnelGUE, TunnelPort: 6080, TunnelFlags: TunnelChecksum | TunnelRemoteChecksum}
	tunNest := nest(cmdAttrDest, attr(destAttrAddrFamily, u16(10)), attr(destAttrAddr, ip16("2001:db8::2")),
		attr(destAttrPort, b16(80)), attr(destAttrFwdMethod, u32(2)), attr(destAttrWeight, u32(1)),
		attr(destAttrTunType, u8(1)), attr(destAttrTunPort, b16(6080)), attr(destAttrTunFlags, u16(3)),
		attr(destAttrUThresh, u32(0)), attr(destAttrLThresh, u32(0)))

	tests := []struct {
		name  string
		call  func(c *Client) error
		cmd   uint8
		flags netlink.HeaderFlags
		attrs []byte
	}{
		{
			name: "new service IPv6 with PE, persistence and flags",
			call: func(c *Client) error {
				return c.Do(NewServiceRequest(Service{ServiceKey: v6, Scheduler: "sh", PE: "sip",
					Flags: FlagPersistent | FlagSched1 | FlagSched2, Timeout: 300 * time.Second, Netmask: 64}))
			},
			cmd: cmdNewService, flags: ack,
			attrs: nest(cmdAttrService, append(append([][]byte(nil), v6attrs...),
				attr(svcAttrSchedName, str("sh")), attr(svcAttrPEName, str("sip")),
				attr(svcAttrFlags, u32(0x19), u32(0xffffffff)),
				attr(svcAttrTimeout, u32(300)), attr(svcAttrNetmask, u32(64)))...),
		},
		{
			name: "new service fwmark with IPv4 netmask",
			call: func(c *Client) error {
				return c.Do(NewServiceRequest(Service{ServiceKey: fw, Scheduler: "wlc", Flags: FlagPersistent,
					Timeout: 360 * time.Second, Netmask: 0xffffff00}))
			},
			cmd: cmdNewService, flags: ack,
			attrs: nest(cmdAttrService, attr(svcAttrAF, u16(2)), attr(svcAttrFWMark, u32(7)),
				attr(svcAttrSchedName, str("wlc")), attr(svcAttrFlags, u32(1), u32(0xffffffff)),
				attr(svcAttrTimeout, u32(360)), attr(svcAttrNetmask, []byte{0xff, 0xff, 0xff, 0x00})),
		},
		{
			name: "new service IPv6 fwmark",
			call: func(c *Client) error {
				return c.Do(NewServiceRequest(Service{ServiceKey: ServiceKey{Family: INET6, FWMark: 1}, Scheduler: "rr", Netmask: 128}))
			},
			cmd: cmdNewService, flags: ack,
			attrs: nest(cmdAttrService, attr(svcAttrAF, u16(10)), attr(svcAttrFWMark, u32(1)),
				attr(svcAttrSchedName, str("rr")), attr(svcAttrFlags, u32(0), u32(0xffffffff)),
				attr(svcAttrTimeout, u32(0)), attr(svcAttrNetmask, u32(128))),
		},
		{
			name: "update service",
			call: func(c *Client) error {
				return c.Do(UpdateServiceRequest(Service{ServiceKey: v4, Scheduler: "wrr", Netmask: 0xffffffff}))
			},
			cmd: cmdSetService, flags: ack,
			attrs: nest(cmdAttrService, append(append([][]byte(nil), v4attrs...),
				attr(svcAttrSchedName, str("wrr")), attr(svcAttrFlags, u32(0), u32(0xffffffff)),
				attr(svcAttrTimeout, u32(0)), attr(svcAttrNetmask, b32(0xffffffff)))...),
		},
		{name: "delete service IPv4", call: func(c *Client) error { return c.Do(DeleteServiceRequest(v4)) },
			cmd: cmdDelService, flags: ack, attrs: v4svc},
		{name: "delete service IPv6", call: func(c *Client) error { return c.Do(DeleteServiceRequest(v6)) },
			cmd: cmdDelService, flags: ack, attrs: v6svc},
		{name: "delete service fwmark", call: func(c *Client) error { return c.Do(DeleteServiceRequest(fw)) },
			cmd: cmdDelService, flags: ack, attrs: fwsvc},
		{
			name: "get service (netmask 0, like ipvsadm -L <service>)",
			call: func(c *Client) error { _, err := c.Service(v4); return err },
			cmd:  cmdGetService, flags: ack, attrs: defaults(v4attrs, b32(0)),
		},
		{name: "get services", call: func(c *Client) error { _, err := c.Services(); return err },
			cmd: cmdGetService, flags: dump},
		{
			name: "get destinations IPv4",
			call: func(c *Client) error { _, err := c.Destinations(v4); return err },
			cmd:  cmdGetDest, flags: dump, attrs: nest(cmdAttrService, v4attrs...),
		},
		{
			name: "get destinations fwmark",
			call: func(c *Client) error { _, err := c.Destinations(fw); return err },
			cmd:  cmdGetDest, flags: dump, attrs: nest(cmdAttrService, fwattrs...),
		},
		{name: "new destination", call: func(c *Client) error { return c.Do(NewDestinationRequest(v4, rs)) },
			cmd: cmdNewDest, flags: ack, attrs: cat(v4svc, rsNest)},
		{name: "new destination mixed-family tunnel", call: func(c *Client) error { return c.Do(NewDestinationRequest(v4, tun)) },
			cmd: cmdNewDest, flags: ack, attrs: cat(v4svc, tunNest)},
		{name: "update destination", call: func(c *Client) error { return c.Do(UpdateDestinationRequest(v4, rs)) },
			cmd: cmdSetDest, flags: ack, attrs: cat(v4svc, rsNest)},
		{name: "delete destination", call: func(c *Client) error { return c.Do(DeleteDestinationRequest(v4, rs)) },
			cmd: cmdDelDest, flags: ack, attrs: cat(v4svc, rsNest)},
		{
			name: "delete destination fwmark IPv6 service",
			call: func(c *Client) error {
				return c.Do(DeleteDestinationRequest(ServiceKey{Family: INET6, FWMark: 3},
					Destination{Addr: netip.MustParseAddr("2001:db8::9")}))
			},
			cmd: cmdDelDest, flags: ack,
			attrs: cat(defaults([][]byte{attr(svcAttrAF, u16(10)), attr(svcAttrFWMark, u32(3))}, u32(128)),
				nest(cmdAttrDest, attr(destAttrAddrFamily, u16(10)), attr(destAttrAddr, ip16("2001:db8::9")),
					attr(destAttrPort, b16(0)), attr(destAttrFwdMethod, u32(0)), attr(destAttrWeight, u32(0)),
					attr(destAttrTunType, u8(0)), attr(destAttrTunPort, b16(0)), attr(destAttrTunFlags, u16(0)),
					attr(destAttrUThresh, u32(0)), attr(destAttrLThresh, u32(0)))),
		},
		{name: "get timeouts", call: func(c *Client) error { _, err := c.Timeouts(); return err },
			cmd: cmdGetConfig, flags: ack},
		{
			name: "set timeouts, zeros included",
			call: func(c *Client) error {
				return c.Do(SetTimeoutsRequest(Timeouts{TCP: 900 * time.Second, UDP: 300 * time.Second}))
			},
			cmd: cmdSetConfig, flags: ack,
			attrs: cat(attr(cmdAttrTimeoutTCP, u32(900)), attr(cmdAttrTimeoutTCPFin, u32(0)),
				attr(cmdAttrTimeoutUDP, u32(300))),
		},
		{name: "get info", call: func(c *Client) error { _, err := c.Info(); return err },
			cmd: cmdGetInfo, flags: ack},
		{name: "get daemons", call: func(c *Client) error { _, err := c.Daemons(); return err },
			cmd: cmdGetDaemon, flags: dump},
		{
			name: "start daemon minimal",
			call: func(c *Client) error { return c.Do(StartDaemonRequest(Daemon{State: Master, Interface: "eth0"})) },
			cmd:  cmdNewDaemon, flags: ack,
			attrs: nest(cmdAttrDaemon, attr(daemonAttrState, u32(1)), attr(daemonAttrMcastIfn, str("eth0")),
				attr(daemonAttrSyncID, u32(0))),
		},
		{
			name: "start daemon IPv4 group and all options",
			call: func(c *Client) error {
				return c.Do(StartDaemonRequest(Daemon{State: Backup, Interface: "eth1", SyncID: 9, MaxLen: 1400,
					Group: netip.MustParseAddr("224.0.0.82"), Port: 8849, TTL: 2}))
			},
			cmd: cmdNewDaemon, flags: ack,
			attrs: nest(cmdAttrDaemon, attr(daemonAttrState, u32(2)), attr(daemonAttrMcastIfn, str("eth1")),
				attr(daemonAttrSyncID, u32(9)), attr(daemonAttrSyncMaxLen, u16(1400)),
				attr(daemonAttrMcastPort, u16(8849)), attr(daemonAttrMcastTTL, u8(2)),
				attr(daemonAttrMcastGroup, ip("224.0.0.82"))),
		},
		{
			name: "start daemon IPv6 group",
			call: func(c *Client) error {
				return c.Do(StartDaemonRequest(Daemon{State: Master, Interface: "eth0", SyncID: 1,
					Group: netip.MustParseAddr("ff02::81"), TTL: 5}))
			},
			cmd: cmdNewDaemon, flags: ack,
			attrs: nest(cmdAttrDaemon, attr(daemonAttrState, u32(1)), attr(daemonAttrMcastIfn, str("eth0")),
				attr(daemonAttrSyncID, u32(1)), attr(daemonAttrMcastTTL, u8(5)),
				attr(daemonAttrMcastGroup6, ip("ff02::81"))),
		},
		{
			name: "stop daemon",
			call: func(c *Client) error {
				return c.Do(StopDaemonRequest(Daemon{State: Backup, SyncID: 4, Group: netip.MustParseAddr("224.0.0.81"), TTL: 3}))
			},
			cmd: cmdDelDaemon, flags: ack,
			attrs: nest(cmdAttrDaemon, attr(daemonAttrState, u32(2)), attr(daemonAttrMcastIfn, str("")),
				attr(daemonAttrSyncID, u32(4))),
		},
		{name: "zero all", call: func(c *Client) error { return c.Do(ZeroAllRequest()) }, cmd: cmdZero, flags: ack},
		{name: "zero service", call: func(c *Client) error { return c.Do(ZeroRequest(v6)) }, cmd: cmdZero, flags: ack, attrs: v6svc},
		{name: "flush", call: func(c *Client) error { return c.Do(FlushRequest()) }, cmd: cmdFlush, flags: ack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, k := newTestClient(t, answerGets)
			if err := tt.call(c); err != nil {
				t.Fatalf("call: %v", err)
			}
			if len(k.requests) != 1 {
				t.Fatalf("%d requests, want 1", len(k.requests))
			}
			m := k.requests[0]
			if m.Header.Flags != tt.flags {
				t.Errorf("flags = %v, want %v", m.Header.Flags, tt.flags)
			}
			var gm genetlink.Message
			if err := gm.UnmarshalBinary(m.Data); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(genetlink.Header{Command: tt.cmd, Version: 1}, gm.Header); diff != "" {
				t.Errorf("genetlink header (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.attrs, gm.Data, cmp.Comparer(bytes.Equal)); diff != "" {
				t.Errorf("attributes (-want +got):\n%s\nwant %x\n got %x", diff, tt.attrs, gm.Data)
			}
		})
	}
}

// TestEncoderSharesBlocks: requests built one after the other by one
// Encoder are those the *Request functions build, none written over by a
// later one, a name too long for the block's free part included; and
// they cost an allocation per block, not per request.
func TestEncoderSharesBlocks(t *testing.T) {
	key := ServiceKey{Family: INET, Protocol: TCP, Addr: netip.MustParseAddr("192.0.2.1"), Port: 80}
	long := strings.Repeat("s", 300)
	type pair struct{ got, want Request }
	var enc Encoder
	var pairs []pair
	for i := range 2000 {
		d := Destination{Addr: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), Port: 80, Weight: uint32(i)}
		s := Service{ServiceKey: key, Scheduler: "wlc", Netmask: 0xffffffff}
		s.Port = uint16(i)
		if i%500 == 7 {
			s.Scheduler = long
		}
		pairs = append(pairs,
			pair{enc.NewService(s), NewServiceRequest(s)},
			pair{enc.UpdateService(s), UpdateServiceRequest(s)},
			pair{enc.DeleteService(s.ServiceKey), DeleteServiceRequest(s.ServiceKey)},
			pair{enc.NewDestination(key, d), NewDestinationRequest(key, d)},
			pair{enc.UpdateDestination(key, d), UpdateDestinationRequest(key, d)},
			pair{enc.DeleteDestination(key, d), DeleteDestinationRequest(key, d)},
			pair{enc.Zero(s.ServiceKey), ZeroRequest(s.ServiceKey)},
		)
	}
	t1 := Timeouts{TCP: 900 * time.Second}
	dm := Daemon{State: Master, Interface: "eth0", SyncID: 3}
	pairs = append(pairs,
		pair{enc.SetTimeouts(t1), SetTimeoutsRequest(t1)},
		pair{enc.StartDaemon(dm), StartDaemonRequest(dm)},
		pair{enc.StopDaemon(dm), StopDaemonRequest(dm)},
		pair{enc.ZeroAll(), ZeroAllRequest()},
		pair{enc.Flush(), FlushRequest()},
	)
	for i, p := range pairs {
		if p.got.op != p.want.op || p.got.cmd != p.want.cmd || !bytes.Equal(p.got.attrs, p.want.attrs) {
			t.Fatalf("request %d: Encoder built %s %d % x, want %s %d % x", i,
				p.got.op, p.got.cmd, p.got.attrs, p.want.op, p.want.cmd, p.want.attrs)
		}
	}

	d := Destination{Addr: netip.MustParseAddr("10.0.0.2"), Port: 80, Weight: 1}
	allocs := testing.AllocsPerRun(10, func() {
		var enc Encoder
		for range 1000 {
			enc.NewDestination(key, d)
		}
	})
	if allocs > 16 { // 1000 requests of 188 bytes: 11 blocks of 192 bytes to 64 KiB
		t.Errorf("1000 requests from one Encoder took %v allocations", allocs)
	}
}

// TestEncoderReset: after Reset an Encoder builds the same requests again
// in the memory of the earlier ones, without allocating, a name too long
// for a block included; a batch larger than the last grows the block once.
func TestEncoderReset(t *testing.T) {
	key := ServiceKey{Family: INET, Protocol: TCP, Addr: netip.MustParseAddr("192.0.2.1"), Port: 80}
	long := strings.Repeat("s", 300)
	build := func(enc *Encoder, n int) []Request {
		var reqs []Request
		for i := range n {
			s := Service{ServiceKey: key, Scheduler: "wlc", Netmask: 0xffffffff}
			if i == 7 {
				s.Scheduler = long
			}
			d := Destination{Addr: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), Port: 80, Weight: uint32(i)}
			reqs = append(reqs, enc.NewService(s), enc.NewDestination(key, d))
		}
		return reqs
	}
	var fresh, reused Encoder
	for _, n := range []int{1000, 1000, 10, 3000, 3000} {
		want := build(&fresh, n)
		got := build(&reused, n)
		for i := range want {
			if got[i].op != want[i].op || !bytes.Equal(got[i].attrs, want[i].attrs) {
				t.Fatalf("batch of %d, request %d after Reset: % x, want % x", n, i, got[i].attrs, want[i].attrs)
			}
		}
		reused.Reset()
	}

	reqs := make([]Request, 0, 6000)
	allocs := testing.AllocsPerRun(10, func() {
		reqs = reqs[:0]
		for i := range 3000 {
			s := Service{ServiceKey: key, Scheduler: "wlc", Netmask: 0xffffffff}
			d := Destination{Addr: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), Port: 80, Weight: 1}
			reqs = append(reqs, reused.NewService(s), reused.NewDestination(key, d))
		}
		reused.Reset()
	})
	if allocs != 0 {
		t.Errorf("a batch as large as the last one took %v allocations after Reset", allocs)
	}
}
