//go:build linux

package ipvs

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
)

// Replies laid out as ip_vs_ctl.c fills them.

const statsPad = 11 // IPVS_STATS_ATTR_PAD

// kstats is a 32-bit STATS nest as the kernel sends it: byte counters
// u64 (after a PAD for alignment), everything else u32.
func kstats(typ uint16, v [10]uint64) []byte {
	return nest(typ,
		attr(statsConns, u32(uint32(v[0]))), attr(statsInPkts, u32(uint32(v[1]))), attr(statsOutPkts, u32(uint32(v[2]))),
		attr(statsPad), attr(statsInBytes, u64(v[3])), attr(statsPad), attr(statsOutBytes, u64(v[4])),
		attr(statsCPS, u32(uint32(v[5]))), attr(statsInPPS, u32(uint32(v[6]))), attr(statsOutPPS, u32(uint32(v[7]))),
		attr(statsInBPS, u32(uint32(v[8]))), attr(statsOutBPS, u32(uint32(v[9]))))
}

// kstats64 is a STATS64 nest: every counter u64.
func kstats64(typ uint16, v [10]uint64) []byte {
	var as [][]byte
	for i, x := range v {
		as = append(as, attr(statsPad), attr(uint16(i+1), u64(x)))
	}
	return nest(typ, as...)
}

func statsOf(v [10]uint64) Stats {
	return Stats{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]}
}

var (
	small = [10]uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	big   = [10]uint64{1 << 33, 1<<32 + 2, 3, 1 << 40, 5, 6, 7, 8, 9, 1 << 35}
)

func TestServicesDecoding(t *testing.T) {
	v4 := nest(cmdAttrService,
		attr(svcAttrAF, u16(2)), attr(svcAttrProtocol, u16(6)), attr(svcAttrAddr, ip16("192.0.2.1")),
		attr(svcAttrPort, b16(80)), attr(svcAttrSchedName, str("wlc")),
		attr(svcAttrFlags, u32(0x2), u32(0xffffffff)), attr(svcAttrTimeout, u32(0)),
		attr(svcAttrNetmask, b32(0xffffffff)), kstats(svcAttrStats, small))
	v6 := nest(cmdAttrService,
		attr(svcAttrAF, u16(10)), attr(svcAttrProtocol, u16(17)), attr(svcAttrAddr, ip16("2001:db8::1")),
		attr(svcAttrPort, b16(53)), attr(svcAttrSchedName, str("sh")), attr(svcAttrPEName, str("sip")),
		attr(svcAttrFlags, u32(0x1b), u32(0xffffffff)), attr(svcAttrTimeout, u32(300)),
		attr(svcAttrNetmask, u32(64)), kstats(svcAttrStats, small), kstats64(svcAttrStats64, big))
	fw := nest(cmdAttrService,
		attr(99, u32(1)), // unknown: ignored
		attr(svcAttrAF, u16(2)), attr(svcAttrFWMark, u32(10)), attr(svcAttrSchedName, str("none")),
		attr(svcAttrFlags, u32(0x7), u32(0x5)), attr(svcAttrTimeout, u32(360)),
		attr(svcAttrNetmask, []byte{255, 255, 255, 0}))

	c, _ := newTestClient(t, replyWith(cmdNewService, v4, v6, fw))
	got, err := c.Services()
	if err != nil {
		t.Fatal(err)
	}
	want := []ServiceEntry{
		{
			Service: Service{
				ServiceKey: ServiceKey{Family: INET, Protocol: TCP, Addr: netip.MustParseAddr("192.0.2.1"), Port: 80},
				Scheduler:  "wlc", Flags: FlagHashed, Netmask: 0xffffffff,
			},
			Stats: statsOf(small),
		},
		{
			Service: Service{
				ServiceKey: ServiceKey{Family: INET6, Protocol: UDP, Addr: netip.MustParseAddr("2001:db8::1"), Port: 53},
				Scheduler:  "sh", PE: "sip", Flags: FlagPersistent | FlagHashed | FlagSched1 | FlagSched2,
				Timeout: 300 * time.Second, Netmask: 64,
			},
			Stats: statsOf(big), // STATS64 wins
		},
		{
			Service: Service{
				ServiceKey: ServiceKey{Family: INET, FWMark: 10},
				Scheduler:  "none", Flags: FlagPersistent | FlagOnePacket, // flags & mask
				Timeout: 360 * time.Second, Netmask: 0xffffff00,
			},
		},
	}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
}

func TestServiceSingle(t *testing.T) {
	c, _ := newTestClient(t, answerGets)
	got, err := c.Service(ServiceKey{Family: INET, FWMark: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := ServiceEntry{Service: Service{ServiceKey: ServiceKey{Family: INET, FWMark: 1},
		Scheduler: "wlc", Flags: FlagHashed, Netmask: 0xffffffff}}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("service (-want +got):\n%s", diff)
	}
}

func TestDestinationsDecoding(t *testing.T) {
	plain := nest(cmdAttrDest, // an older kernel: no ADDR_FAMILY, no tunnel attributes
		attr(destAttrAddr, ip16("10.0.0.2")), attr(destAttrPort, b16(8080)),
		attr(destAttrFwdMethod, u32(0)), attr(destAttrWeight, u32(70000)),
		attr(destAttrUThresh, u32(100)), attr(destAttrLThresh, u32(10)),
		attr(destAttrActiveConns, u32(3)), attr(destAttrInactConns, u32(4)), attr(destAttrPersistConns, u32(5)),
		kstats(destAttrStats, small))
	tunnel := nest(cmdAttrDest,
		attr(destAttrAddrFamily, u16(10)), attr(destAttrAddr, ip16("2001:db8::2")), attr(destAttrPort, b16(80)),
		attr(destAttrFwdMethod, u32(2)), attr(destAttrWeight, u32(1)),
		attr(destAttrTunType, u8(1)), attr(destAttrTunPort, b16(6080)), attr(destAttrTunFlags, u16(3)),
		attr(destAttrUThresh, u32(0)), attr(destAttrLThresh, u32(0)),
		attr(destAttrActiveConns, u32(0)), attr(destAttrInactConns, u32(0)), attr(destAttrPersistConns, u32(0)),
		kstats(destAttrStats, small), kstats64(destAttrStats64, big))
	route := nest(cmdAttrDest,
		attr(destAttrAddrFamily, u16(2)), attr(destAttrAddr, ip16("10.0.0.3")), attr(destAttrPort, b16(80)),
		attr(destAttrFwdMethod, u32(3)), attr(destAttrWeight, u32(0)),
		attr(destAttrTunType, u8(0)), attr(destAttrTunPort, b16(0)), attr(destAttrTunFlags, u16(0)),
		attr(destAttrUThresh, u32(0)), attr(destAttrLThresh, u32(0)),
		attr(destAttrActiveConns, u32(0)), attr(destAttrInactConns, u32(0)), attr(destAttrPersistConns, u32(0)))

	c, _ := newTestClient(t, replyWith(cmdNewDest, plain, tunnel, route))
	got, err := c.Destinations(ServiceKey{Family: INET, Protocol: TCP, Addr: netip.MustParseAddr("192.0.2.1"), Port: 80})
	if err != nil {
		t.Fatal(err)
	}
	want := []DestinationEntry{
		{
			Destination: Destination{Family: INET, Addr: netip.MustParseAddr("10.0.0.2"), Port: 8080,
				Method: Masquerade, Weight: 70000, UpperThreshold: 100, LowerThreshold: 10},
			ActiveConns: 3, InactiveConns: 4, PersistentConns: 5, Stats: statsOf(small),
		},
		{
			Destination: Destination{Family: INET6, Addr: netip.MustParseAddr("2001:db8::2"), Port: 80,
				Method: Tunnel, Weight: 1, TunnelType: TunnelGUE, TunnelPort: 6080,
				TunnelFlags: TunnelChecksum | TunnelRemoteChecksum},
			Stats: statsOf(big),
		},
		{Destination: Destination{Family: INET, Addr: netip.MustParseAddr("10.0.0.3"), Port: 80, Method: Route}},
	}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("destinations (-want +got):\n%s", diff)
	}
}

func TestDaemonsDecoding(t *testing.T) {
	master := nest(cmdAttrDaemon, attr(daemonAttrState, u32(1)), attr(daemonAttrMcastIfn, str("eth0")),
		attr(daemonAttrSyncID, u32(3)), attr(daemonAttrSyncMaxLen, u16(1472)),
		attr(daemonAttrMcastGroup, ip("224.0.0.81")), attr(daemonAttrMcastPort, u16(8848)),
		attr(daemonAttrMcastTTL, u8(1)))
	backup := nest(cmdAttrDaemon, attr(daemonAttrState, u32(2)), attr(daemonAttrMcastIfn, str("eth1")),
		attr(daemonAttrSyncID, u32(0)), attr(daemonAttrSyncMaxLen, u16(1452)),
		attr(daemonAttrMcastGroup6, ip("ff02::81")), attr(daemonAttrMcastPort, u16(8849)),
		attr(daemonAttrMcastTTL, u8(2)))
	both := nest(cmdAttrDaemon, attr(daemonAttrState, u32(1)), attr(daemonAttrMcastIfn, str("eth2")),
		attr(daemonAttrSyncID, u32(1)), attr(daemonAttrMcastGroup6, ip("ff02::1")),
		attr(daemonAttrMcastGroup, ip("224.0.0.99")))
	zero := nest(cmdAttrDaemon, attr(daemonAttrState, u32(2)), attr(daemonAttrMcastIfn, str("lo")),
		attr(daemonAttrSyncID, u32(2)), attr(daemonAttrMcastGroup, ip("0.0.0.0")))

	c, _ := newTestClient(t, replyWith(cmdNewDaemon, master, backup, both, zero))
	got, err := c.Daemons()
	if err != nil {
		t.Fatal(err)
	}
	want := []Daemon{
		{State: Master, Interface: "eth0", SyncID: 3, MaxLen: 1472, Group: netip.MustParseAddr("224.0.0.81"), Port: 8848, TTL: 1},
		{State: Backup, Interface: "eth1", MaxLen: 1452, Group: netip.MustParseAddr("ff02::81"), Port: 8849, TTL: 2},
		{State: Master, Interface: "eth2", SyncID: 1, Group: netip.MustParseAddr("224.0.0.99")},
		{State: Backup, Interface: "lo", SyncID: 2},
	}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("daemons (-want +got):\n%s", diff)
	}
}

func TestInfoAndTimeouts(t *testing.T) {
	t.Run("info", func(t *testing.T) {
		c, _ := newTestClient(t, replyWith(cmdSetInfo,
			cat(attr(infoAttrVersion, u32(0x010201)), attr(infoAttrConnTabSize, u32(4096)))))
		got, err := c.Info()
		if err != nil {
			t.Fatal(err)
		}
		want := Info{Version: Version{1, 2, 1}, ConnTableSize: 4096}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("info (-want +got):\n%s", diff)
		}
		if got.Version.String() != "1.2.1" {
			t.Errorf("version %q", got.Version)
		}
	})
	for _, tt := range []struct {
		name  string
		reply []byte
		want  Timeouts
	}{
		{"all", cat(attr(cmdAttrTimeoutTCP, u32(900)), attr(cmdAttrTimeoutTCPFin, u32(120)), attr(cmdAttrTimeoutUDP, u32(300))),
			Timeouts{900 * time.Second, 120 * time.Second, 300 * time.Second}},
		{"only udp", attr(cmdAttrTimeoutUDP, u32(5)), Timeouts{UDP: 5 * time.Second}},
		{"none", nil, Timeouts{}},
	} {
		t.Run("timeouts "+tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, replyWith(cmdSetConfig, tt.reply))
			got, err := c.Timeouts()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("timeouts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEmptyDumps(t *testing.T) {
	c, _ := newTestClient(t, nil)
	svcs, err := c.Services()
	if err != nil || len(svcs) != 0 {
		t.Errorf("Services() = %v, %v; want empty, nil", svcs, err)
	}
	dests, err := c.Destinations(ServiceKey{Family: INET, FWMark: 1})
	if err != nil || len(dests) != 0 {
		t.Errorf("Destinations() = %v, %v; want empty, nil", dests, err)
	}
	ds, err := c.Daemons()
	if err != nil || len(ds) != 0 {
		t.Errorf("Daemons() = %v, %v; want empty, nil", ds, err)
	}
	// The client stays usable: nothing was left unread.
	if err := c.Do(FlushRequest()); err != nil {
		t.Errorf("Flush after dumps: %v", err)
	}
}

func TestLargeDump(t *testing.T) {
	const n = 12345
	payloads := make([][]byte, n)
	for i := range payloads {
		payloads[i] = nest(cmdAttrService,
			attr(svcAttrAF, u16(2)), attr(svcAttrProtocol, u16(6)),
			attr(svcAttrAddr, ip16(fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&0xff, i&0xff))),
			attr(svcAttrPort, b16(uint16(i))), attr(svcAttrSchedName, str("wlc")),
			attr(svcAttrFlags, u32(2), u32(0xffffffff)), attr(svcAttrTimeout, u32(0)),
			attr(svcAttrNetmask, b32(0xffffffff)), kstats(svcAttrStats, small), kstats64(svcAttrStats64, small))
	}
	c, k := newTestClient(t, replyWith(cmdNewService, payloads...))
	k.perDgram = 40 // as many as fit a page
	got, err := c.Services()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("got %d services, want %d", len(got), n)
	}
	for _, i := range []int{0, 1, 39, 40, 4096, n - 1} {
		want := ServiceKey{Family: INET, Protocol: TCP,
			Addr: netip.MustParseAddr(fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&0xff, i&0xff)), Port: uint16(i)}
		if diff := cmp.Diff(want, got[i].ServiceKey, cmpOpts); diff != "" {
			t.Errorf("service %d (-want +got):\n%s", i, diff)
		}
	}
	if len(k.queue) != 0 {
		t.Errorf("%d datagrams left unread", len(k.queue))
	}
}

// Hostile and truncated replies.

func TestInvalidReplies(t *testing.T) {
	svc := func(drop uint16, extra ...[]byte) []byte {
		all := []struct {
			typ uint16
			b   []byte
		}{
			{svcAttrAF, attr(svcAttrAF, u16(2))}, {svcAttrProtocol, attr(svcAttrProtocol, u16(6))},
			{svcAttrAddr, attr(svcAttrAddr, ip16("192.0.2.1"))}, {svcAttrPort, attr(svcAttrPort, b16(80))},
			{svcAttrSchedName, attr(svcAttrSchedName, str("rr"))},
			{svcAttrFlags, attr(svcAttrFlags, u32(2), u32(0xffffffff))},
			{svcAttrTimeout, attr(svcAttrTimeout, u32(0))}, {svcAttrNetmask, attr(svcAttrNetmask, b32(0xffffffff))},
		}
		var as [][]byte
		for _, a := range all {
			if a.typ != drop {
				as = append(as, a.b)
			}
		}
		return nest(cmdAttrService, append(as, extra...)...)
	}
	dest := func(drop uint16, extra ...[]byte) []byte {
		all := []struct {
			typ uint16
			b   []byte
		}{
			{destAttrAddr, attr(destAttrAddr, ip16("10.0.0.1"))}, {destAttrPort, attr(destAttrPort, b16(80))},
			{destAttrFwdMethod, attr(destAttrFwdMethod, u32(0))}, {destAttrWeight, attr(destAttrWeight, u32(1))},
			{destAttrUThresh, attr(destAttrUThresh, u32(0))}, {destAttrLThresh, attr(destAttrLThresh, u32(0))},
			{destAttrActiveConns, attr(destAttrActiveConns, u32(0))},
			{destAttrInactConns, attr(destAttrInactConns, u32(0))},
			{destAttrPersistConns, attr(destAttrPersistConns, u32(0))},
		}
		var as [][]byte
		for _, a := range all {
			if a.typ != drop {
				as = append(as, a.b)
			}
		}
		return nest(cmdAttrDest, append(as, extra...)...)
	}
	if _, err := decodeServiceMessage(svc(0)); err != nil {
		t.Fatalf("control service: %v", err)
	}
	if _, err := decodeDestinationMessage(dest(0), INET); err != nil {
		t.Fatalf("control destination: %v", err)
	}

	type decoder func([]byte) error
	service := func(b []byte) error { _, err := decodeServiceMessage(b); return err }
	destination := func(b []byte) error { _, err := decodeDestinationMessage(b, INET); return err }
	daemon := func(b []byte) error { _, err := decodeDaemonMessage(b); return err }
	info := func(b []byte) error { _, err := decodeInfo(b); return err }
	timeouts := func(b []byte) error { _, err := decodeTimeouts(b); return err }

	tests := []struct {
		name   string
		decode decoder
		b      []byte
	}{
		{"service: no nest", service, attr(cmdAttrDest)},
		{"service: empty payload", service, nil},
		{"service: truncated header", service, []byte{8, 0, 1}},
		{"service: length beyond payload", service, []byte{0x40, 0, 1, 0x80, 1, 2, 3, 4}},
		{"service: length below header", service, []byte{2, 0, 1, 0x80}},
		{"service: nest truncated inside", service, nest(cmdAttrService, []byte{0x20, 0, 1, 0, 2, 0})},
		{"service: no AF", service, svc(svcAttrAF)},
		{"service: no address", service, svc(svcAttrAddr)},
		{"service: no protocol", service, svc(svcAttrProtocol)},
		{"service: no port", service, svc(svcAttrPort)},
		{"service: no scheduler", service, svc(svcAttrSchedName)},
		{"service: no flags", service, svc(svcAttrFlags)},
		{"service: no timeout", service, svc(svcAttrTimeout)},
		{"service: no netmask", service, svc(svcAttrNetmask)},
		{"service: short flags", service, svc(svcAttrFlags, attr(svcAttrFlags, u32(2)))},
		{"service: short AF", service, svc(svcAttrAF, attr(svcAttrAF, u8(2)))},
		{"service: short address", service, svc(svcAttrAddr, attr(svcAttrAddr, []byte{10, 0}))},
		{"service: long port", service, svc(svcAttrPort, attr(svcAttrPort, u32(80)))},
		{"service: short netmask", service, svc(svcAttrNetmask, attr(svcAttrNetmask, u16(24)))},
		{"service: IPv6 with IPv4-sized address", service, nest(cmdAttrService, attr(svcAttrAF, u16(10)),
			attr(svcAttrProtocol, u16(6)), attr(svcAttrAddr, ip("192.0.2.1")), attr(svcAttrPort, b16(80)),
			attr(svcAttrSchedName, str("rr")), attr(svcAttrFlags, u32(2), u32(0xffffffff)),
			attr(svcAttrTimeout, u32(0)), attr(svcAttrNetmask, u32(128)))},
		{"service: unknown family", service, svc(svcAttrAF, attr(svcAttrAF, u16(7)))},
		{"service: stats of wrong size", service, svc(0, nest(svcAttrStats, attr(statsConns, u64(1))))},
		{"service: stats64 of wrong size", service, svc(0, nest(svcAttrStats64, attr(statsConns, u32(1))))},
		{"service: stats garbage", service, svc(0, nest(svcAttrStats64, []byte{0xff, 0xff, 1, 0}))},
		{"destination: no nest", destination, attr(cmdAttrService)},
		{"destination: no address", destination, dest(destAttrAddr)},
		{"destination: no port", destination, dest(destAttrPort)},
		{"destination: no method", destination, dest(destAttrFwdMethod)},
		{"destination: no weight", destination, dest(destAttrWeight)},
		{"destination: no upper threshold", destination, dest(destAttrUThresh)},
		{"destination: no lower threshold", destination, dest(destAttrLThresh)},
		{"destination: no active", destination, dest(destAttrActiveConns)},
		{"destination: no inactive", destination, dest(destAttrInactConns)},
		{"destination: no persistent", destination, dest(destAttrPersistConns)},
		{"destination: IPv6 family with short address", destination,
			dest(destAttrAddr, attr(destAttrAddrFamily, u16(10)), attr(destAttrAddr, ip("10.0.0.1")))},
		{"destination: short tunnel port", destination, dest(0, attr(destAttrTunPort, u8(1)))},
		{"destination: short family", destination, dest(0, attr(destAttrAddrFamily, u8(10)))},
		{"destination: bad stats", destination, dest(0, nest(destAttrStats, attr(statsInBytes, u32(1))))},
		{"daemon: no nest", daemon, nil},
		{"daemon: no state", daemon, nest(cmdAttrDaemon, attr(daemonAttrMcastIfn, str("eth0")), attr(daemonAttrSyncID, u32(0)))},
		{"daemon: no interface", daemon, nest(cmdAttrDaemon, attr(daemonAttrState, u32(1)), attr(daemonAttrSyncID, u32(0)))},
		{"daemon: no sync id", daemon, nest(cmdAttrDaemon, attr(daemonAttrState, u32(1)), attr(daemonAttrMcastIfn, str("eth0")))},
		{"daemon: short group", daemon, nest(cmdAttrDaemon, attr(daemonAttrState, u32(1)),
			attr(daemonAttrMcastIfn, str("eth0")), attr(daemonAttrSyncID, u32(0)), attr(daemonAttrMcastGroup, []byte{224, 0}))},
		{"daemon: short group6", daemon, nest(cmdAttrDaemon, attr(daemonAttrState, u32(1)),
			attr(daemonAttrMcastIfn, str("eth0")), attr(daemonAttrSyncID, u32(0)), attr(daemonAttrMcastGroup6, ip("224.0.0.1")))},
		{"info: empty", info, nil},
		{"info: no table size", info, attr(infoAttrVersion, u32(0x010201))},
		{"info: short version", info, cat(attr(infoAttrVersion, u16(1)), attr(infoAttrConnTabSize, u32(4096)))},
		{"timeouts: short", timeouts, attr(cmdAttrTimeoutTCP, u16(900))},
		{"timeouts: truncated", timeouts, []byte{8, 0, 4, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.decode(tt.b)
			if !errors.Is(err, errInvalidReply) {
				t.Errorf("error = %v, want one wrapping errInvalidReply", err)
			}
		})
	}
}

// TestInvalidReplyThroughClient checks that a bad reply surfaces as an
// *Error naming the operation and wrapping errInvalidReply.
func TestInvalidReplyThroughClient(t *testing.T) {
	bad := nest(cmdAttrService, attr(svcAttrAF, u16(2)))
	tests := []struct {
		op   string
		cmd  uint8
		call func(c *Client) error
	}{
		{"get services", cmdNewService, func(c *Client) error { _, err := c.Services(); return err }},
		{"get service", cmdNewService, func(c *Client) error { _, err := c.Service(ServiceKey{Family: INET, FWMark: 1}); return err }},
		{"get destinations", cmdNewDest, func(c *Client) error { _, err := c.Destinations(ServiceKey{Family: INET, FWMark: 1}); return err }},
		{"get daemons", cmdNewDaemon, func(c *Client) error { _, err := c.Daemons(); return err }},
		{"get info", cmdSetInfo, func(c *Client) error { _, err := c.Info(); return err }},
		{"get timeouts", cmdSetConfig, func(c *Client) error { _, err := c.Timeouts(); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			reply := bad
			if tt.cmd == cmdSetConfig {
				reply = attr(cmdAttrTimeoutTCP, u16(900))
			}
			c, _ := newTestClient(t, replyWith(tt.cmd, reply))
			err := tt.call(c)
			var e *Error
			if !errors.As(err, &e) || e.Op != tt.op || !errors.Is(err, errInvalidReply) {
				t.Errorf("error = %#v (%v), want *Error{Op: %q} wrapping errInvalidReply", err, err, tt.op)
			}
		})
	}
	t.Run("two replies to a single request", func(t *testing.T) {
		c, _ := newTestClient(t, func(g genetlink.Message, n netlink.Message) ([]genetlink.Message, error) {
			m, _ := answerGets(g, n)
			return append(m, m...), nil
		})
		if _, err := c.Info(); !errors.Is(err, errInvalidReply) {
			t.Errorf("error = %v, want errInvalidReply", err)
		}
	})
}

// TestServicesOnceEach: a dump that repeats a service (the kernel resumes
// by position while another namespace changes the shared table) lists it
// once, keeping the kernel's order.
func TestServicesOnceEach(t *testing.T) {
	svc := func(i int) []byte {
		return nest(cmdAttrService,
			attr(svcAttrAF, u16(2)), attr(svcAttrProtocol, u16(6)),
			attr(svcAttrAddr, ip16(fmt.Sprintf("10.0.0.%d", i))),
			attr(svcAttrPort, b16(80)), attr(svcAttrSchedName, str("wlc")),
			attr(svcAttrFlags, u32(2), u32(0xffffffff)), attr(svcAttrTimeout, u32(0)),
			attr(svcAttrNetmask, b32(0xffffffff)))
	}
	c, _ := newTestClient(t, replyWith(cmdNewService, svc(1), svc(2), svc(2), svc(3), svc(1)))
	got, err := c.Services()
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, s := range got {
		addrs = append(addrs, s.Addr.String())
	}
	if want := []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}; !slices.Equal(addrs, want) {
		t.Errorf("Services = %v, want %v", addrs, want)
	}
}
