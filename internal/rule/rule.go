// Package rule is the one grammar of ipvsadm: it turns the arguments of
// one invocation (or one line of restore input) into a Command, and turns
// a service or server back into the line `ipvsadm -S` prints.
//
// Parsing reproduces ipvsadm 1.31 as built by Debian 12 with popt 1.19:
// the same acceptance, the same first error, the same message text and
// exit status (testdata/diff's corpus holds it against the real binary in
// the VM: popt.cases, errors.cases, restore.cases). It does no I/O: host and service names are resolved
// through an injected Resolver, and the environment (POSIXLY_CORRECT) is
// read by the caller and passed in Options.
//
// The option table is a github.com/spf13/pflag FlagSet; popt's scanning
// rules, which differ from pflag's (the command must come first, value
// options take the next word even if it starts with '-', the optional
// value of -p, leftovers and the value expansion of "!#:+"), are
// implemented here on top of it.
package rule

import (
	"net/netip"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// Resolver resolves the names ipvsadm accepts in addresses and ports.
// *names.Resolver implements it.
type Resolver interface {
	// LookupHost resolves a host name as gethostbyname does: the first
	// IPv4 address. An error, or an address that is not IPv4, makes the
	// name invalid.
	LookupHost(name string) (netip.Addr, error)
	// LookupPort resolves a service name for proto ("tcp", "udp" or
	// "sctp") as getservbyname does.
	LookupPort(name, proto string) (uint16, error)
}

// Options configures Parse.
type Options struct {
	// Resolver resolves host and service names. Nil means no name
	// resolves.
	Resolver Resolver
	// PosixlyCorrect is true when the environment has POSIXLY_CORRECT or
	// POSIX_ME_HARDER (with any value): the first non-option word then
	// ends option processing, as popt does.
	PosixlyCorrect bool
}

// Kind is the command of an invocation.
type Kind int

// Commands. Their String is the name ipvsadm uses for them in messages.
//
// Restore is what Parse returns for -R; inside restore input the original
// treats a nested -R as the Try case (exit 255), which is the restore
// loop's business. Help and Version end a restore with status 0.
const (
	AddService    Kind = iota + 1 // -A, --add-service
	EditService                   // -E, --edit-service
	DeleteService                 // -D, --delete-service
	Flush                         // -C, --clear
	Restore                       // -R, --restore
	Save                          // -S, --save
	AddServer                     // -a, --add-server
	EditServer                    // -e, --edit-server
	DeleteServer                  // -d, --delete-server
	List                          // -L, -l, --list
	Zero                          // -Z, --zero
	SetTimeouts                   // --set tcp tcpfin udp
	StartDaemon                   // --start-daemon master|backup
	StopDaemon                    // --stop-daemon master|backup
	Help                          // -h, --help
	Version                       // -v, --version
)

var kindNames = [...]string{
	AddService:    "add-service",
	EditService:   "edit-service",
	DeleteService: "delete-service",
	Flush:         "flush",
	Restore:       "restore",
	Save:          "save",
	AddServer:     "add-server",
	EditServer:    "edit-server",
	DeleteServer:  "delete-server",
	List:          "list",
	Zero:          "zero",
	SetTimeouts:   "set",
	StartDaemon:   "start-daemon",
	StopDaemon:    "stop-daemon",
	Help:          "help",
	Version:       "version",
}

// String returns the command's name as ipvsadm's messages spell it
// ("add-service", "flush", "set", ...); "help" and "version" for the two
// commands that have none.
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "none"
}

// ListOptions are the output options of -L (and -n of -S).
type ListOptions struct {
	Numeric        bool // -n, --numeric (also -S)
	Connection     bool // -c, --connection
	Timeout        bool // --timeout
	Daemon         bool // --daemon
	Stats          bool // --stats
	Rate           bool // --rate
	Thresholds     bool // --thresholds
	PersistentConn bool // --persistent-conn
	TunInfo        bool // --tun-info
	NoSort         bool // --nosort
	Exact          bool // -X, --exact
}

// Command is one parsed invocation. It holds exactly what the original
// would act on, with its defaults applied. Command has no slices, maps or
// pointers: it is comparable with ==, and with go-cmp given
// cmp.Comparer(func(a, b netip.Addr) bool { return a == b }).
type Command struct {
	Kind Kind

	// HasService reports a service option (-t, -u, --sctp-service, -f).
	// Service is the zero value without one. With one, Service holds the
	// key (for -f: FWMark and Family only; Protocol, Addr and Port are
	// unset), and for every command the flags, timeout and netmask as sent:
	// Netmask 0xffffffff for IPv4 (or the -M mask) and 128 for IPv6 (or
	// the -M prefix), Timeout the -p value (360s without a value) with
	// FlagPersistent. Scheduler is "wlc" for -A/-E unless -s gave one
	// (truncated to 15 bytes); PE is the --pe value (truncated to 16 bytes).
	HasService bool
	Service    ipvs.Service

	// HasServer reports -r. Server is the zero value without it; with it,
	// Server has the address, family and port (the service port when -r
	// had none; for -a/-e of a non-fwmark service with direct routing or
	// tunnelling, always the service port), Method (Route unless -m/-i),
	// Weight (1 unless -w), thresholds and tunnel settings.
	HasServer bool
	Server    ipvs.Destination

	// Timeouts are the values of --set (SetTimeouts only).
	Timeouts ipvs.Timeouts

	// Daemon is the sync daemon of --start-daemon and --stop-daemon (only
	// those). Interface is "eth0" for --start-daemon unless
	// --mcast-interface gave one (truncated to 15 bytes), and empty for
	// --stop-daemon; SyncID is 0 unless --syncid; MaxLen, Group, Port and
	// TTL are zero unless given.
	Daemon ipvs.Daemon

	// List holds the output options (List and Save).
	List ListOptions
}
