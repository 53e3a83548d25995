package ipvs

// Kernel constants of the IPVS generic-netlink family, transcribed from
// include/uapi/linux/ip_vs.h
// (https://github.com/torvalds/linux/blob/master/include/uapi/linux/ip_vs.h).
// They are unexported: callers use the typed model of types.go.

const (
	genlName    = "IPVS" // IPVS_GENL_NAME
	genlVersion = 0x1    // IPVS_GENL_VERSION
)

// Commands (enum IPVS_CMD_*).
const (
	cmdNewService = 1  // IPVS_CMD_NEW_SERVICE
	cmdSetService = 2  // IPVS_CMD_SET_SERVICE
	cmdDelService = 3  // IPVS_CMD_DEL_SERVICE
	cmdGetService = 4  // IPVS_CMD_GET_SERVICE
	cmdNewDest    = 5  // IPVS_CMD_NEW_DEST
	cmdSetDest    = 6  // IPVS_CMD_SET_DEST
	cmdDelDest    = 7  // IPVS_CMD_DEL_DEST
	cmdGetDest    = 8  // IPVS_CMD_GET_DEST
	cmdNewDaemon  = 9  // IPVS_CMD_NEW_DAEMON
	cmdDelDaemon  = 10 // IPVS_CMD_DEL_DAEMON
	cmdGetDaemon  = 11 // IPVS_CMD_GET_DAEMON
	cmdSetConfig  = 12 // IPVS_CMD_SET_CONFIG
	cmdGetConfig  = 13 // IPVS_CMD_GET_CONFIG
	cmdSetInfo    = 14 // IPVS_CMD_SET_INFO (only in replies)
	cmdGetInfo    = 15 // IPVS_CMD_GET_INFO
	cmdZero       = 16 // IPVS_CMD_ZERO
	cmdFlush      = 17 // IPVS_CMD_FLUSH
)

// Top-level command attributes (enum IPVS_CMD_ATTR_*).
const (
	cmdAttrService       = 1 // nested service
	cmdAttrDest          = 2 // nested destination
	cmdAttrDaemon        = 3 // nested sync daemon
	cmdAttrTimeoutTCP    = 4 // u32
	cmdAttrTimeoutTCPFin = 5 // u32
	cmdAttrTimeoutUDP    = 6 // u32
)

// Service attributes (enum IPVS_SVC_ATTR_*), nested in cmdAttrService.
const (
	svcAttrAF        = 1  // u16
	svcAttrProtocol  = 2  // u16
	svcAttrAddr      = 3  // union nf_inet_addr, 16 bytes
	svcAttrPort      = 4  // __be16
	svcAttrFWMark    = 5  // u32
	svcAttrSchedName = 6  // NUL-terminated string
	svcAttrFlags     = 7  // struct ip_vs_flags {u32 flags; u32 mask}
	svcAttrTimeout   = 8  // u32, seconds
	svcAttrNetmask   = 9  // __be32 (IPv4 mask) or prefix length (IPv6)
	svcAttrStats     = 10 // nested stats, 32-bit
	svcAttrPEName    = 11 // NUL-terminated string
	svcAttrStats64   = 12 // nested stats, 64-bit
)

// Destination attributes (enum IPVS_DEST_ATTR_*), nested in cmdAttrDest.
const (
	destAttrAddr         = 1  // union nf_inet_addr, 16 bytes
	destAttrPort         = 2  // __be16
	destAttrFwdMethod    = 3  // u32
	destAttrWeight       = 4  // u32
	destAttrUThresh      = 5  // u32
	destAttrLThresh      = 6  // u32
	destAttrActiveConns  = 7  // u32
	destAttrInactConns   = 8  // u32
	destAttrPersistConns = 9  // u32
	destAttrStats        = 10 // nested stats, 32-bit
	destAttrAddrFamily   = 11 // u16
	destAttrStats64      = 12 // nested stats, 64-bit
	destAttrTunType      = 13 // u8
	destAttrTunPort      = 14 // __be16
	destAttrTunFlags     = 15 // u16
)

// Sync daemon attributes (enum IPVS_DAEMON_ATTR_*), nested in cmdAttrDaemon.
const (
	daemonAttrState       = 1 // u32
	daemonAttrMcastIfn    = 2 // NUL-terminated string
	daemonAttrSyncID      = 3 // u32
	daemonAttrSyncMaxLen  = 4 // u16
	daemonAttrMcastGroup  = 5 // __be32 (in_addr)
	daemonAttrMcastGroup6 = 6 // struct in6_addr
	daemonAttrMcastPort   = 7 // u16, host byte order
	daemonAttrMcastTTL    = 8 // u8
)

// Statistics attributes (enum IPVS_STATS_ATTR_*), nested in the STATS and
// STATS64 attributes of services and destinations. In STATS the byte
// counters are u64 and everything else u32; in STATS64 all are u64.
const (
	statsConns    = 1
	statsInPkts   = 2
	statsOutPkts  = 3
	statsInBytes  = 4
	statsOutBytes = 5
	statsCPS      = 6
	statsInPPS    = 7
	statsOutPPS   = 8
	statsInBPS    = 9
	statsOutBPS   = 10
)

// Info attributes (enum IPVS_INFO_ATTR_*), top level of a SET_INFO reply.
const (
	infoAttrVersion     = 1 // u32, 0x00MMmmpp
	infoAttrConnTabSize = 2 // u32
)
