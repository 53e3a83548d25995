//go:build linux

package ipvs

import (
	"errors"
	"testing"
)

// The fuzz targets feed arbitrary reply payloads to the decoders: they must
// return a value or an error wrapping errInvalidReply, never panic.

func checkFuzzErr(t *testing.T, err error) {
	if err != nil && !errors.Is(err, errInvalidReply) {
		t.Fatalf("error %v does not wrap errInvalidReply", err)
	}
}

func FuzzDecodeService(f *testing.F) {
	f.Add(nest(cmdAttrService,
		attr(svcAttrAF, u16(2)), attr(svcAttrProtocol, u16(6)), attr(svcAttrAddr, ip16("192.0.2.1")),
		attr(svcAttrPort, b16(80)), attr(svcAttrSchedName, str("wlc")),
		attr(svcAttrFlags, u32(0x2), u32(0xffffffff)), attr(svcAttrTimeout, u32(0)),
		attr(svcAttrNetmask, b32(0xffffffff)), kstats(svcAttrStats, small), kstats64(svcAttrStats64, big)))
	f.Add(nest(cmdAttrService, attr(svcAttrAF, u16(10)), attr(svcAttrFWMark, u32(1)),
		attr(svcAttrSchedName, str("rr")), attr(svcAttrFlags, u32(0x2), u32(0xffffffff)),
		attr(svcAttrTimeout, u32(0)), attr(svcAttrNetmask, u32(128))))
	f.Add([]byte{8, 0, 1, 0x80, 4, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decodeServiceMessage(b)
		checkFuzzErr(t, err)
	})
}

func FuzzDecodeDestination(f *testing.F) {
	f.Add(nest(cmdAttrDest,
		attr(destAttrAddrFamily, u16(10)), attr(destAttrAddr, ip16("2001:db8::2")), attr(destAttrPort, b16(80)),
		attr(destAttrFwdMethod, u32(2)), attr(destAttrWeight, u32(1)),
		attr(destAttrTunType, u8(1)), attr(destAttrTunPort, b16(6080)), attr(destAttrTunFlags, u16(3)),
		attr(destAttrUThresh, u32(0)), attr(destAttrLThresh, u32(0)),
		attr(destAttrActiveConns, u32(0)), attr(destAttrInactConns, u32(0)), attr(destAttrPersistConns, u32(0)),
		kstats(destAttrStats, small), kstats64(destAttrStats64, big)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decodeDestinationMessage(b, INET)
		checkFuzzErr(t, err)
	})
}

func FuzzDecodeDaemon(f *testing.F) {
	f.Add(nest(cmdAttrDaemon, attr(daemonAttrState, u32(1)), attr(daemonAttrMcastIfn, str("eth0")),
		attr(daemonAttrSyncID, u32(3)), attr(daemonAttrSyncMaxLen, u16(1472)),
		attr(daemonAttrMcastGroup, ip("224.0.0.81")), attr(daemonAttrMcastPort, u16(8848)),
		attr(daemonAttrMcastTTL, u8(1))))
	f.Add(nest(cmdAttrDaemon, attr(daemonAttrMcastGroup6, ip("ff02::81"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decodeDaemonMessage(b)
		checkFuzzErr(t, err)
	})
}

func FuzzDecodeInfoAndTimeouts(f *testing.F) {
	f.Add(cat(attr(infoAttrVersion, u32(0x010201)), attr(infoAttrConnTabSize, u32(4096))))
	f.Add(cat(attr(cmdAttrTimeoutTCP, u32(900)), attr(cmdAttrTimeoutTCPFin, u32(120)), attr(cmdAttrTimeoutUDP, u32(300))))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decodeInfo(b)
		checkFuzzErr(t, err)
		_, err = decodeTimeouts(b)
		checkFuzzErr(t, err)
	})
}
