package rule

import (
	"sync"

	"github.com/spf13/pflag"
)

// argKind is how an option takes its value, in popt's terms.
type argKind uint8

const (
	argNone     argKind = iota // POPT_ARG_NONE
	argRequired                // POPT_ARG_STRING
	argOptional                // POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL (-p)
)

// optc indexes the options ipvsadm tracks (its OPTC_* numbers). The order
// is the order of the command/option table walk.
type optc int8

const (
	optNumeric optc = iota
	optConnection
	optService
	optScheduler
	optPersistent
	optNetmask
	optServer
	optForward
	optWeight
	optUThreshold
	optLThreshold
	optMcastIfn
	optTimeout
	optDaemon
	optStats
	optRate
	optThresholds
	optPersistentConn
	optNoSort
	optSyncID
	optExact
	optOnePacket
	optPE
	optSchedFlags
	optMcastGroup
	optMcastPort
	optMcastTTL
	optSyncMaxLen
	optTunInfo
	optTunType
	optTunPort
	optTunNoCsum
	optTunCsum
	optTunRemCsum
	numOpts
	untracked optc = -1
)

// optNames are the options' names in messages (ipvsadm's optnames).
var optNames = [numOpts]string{
	"numeric", "connection", "service-address", "scheduler", "persistent",
	"netmask", "real-server", "forwarding-method", "weight", "u-threshold",
	"l-threshold", "mcast-interface", "timeout", "daemon", "stats", "rate",
	"thresholds", "persistent-conn", "nosort", "syncid", "exact", "ops", "pe",
	"sched-flags", "mcast-group", "mcast-port", "mcast-ttl", "sync-maxlen",
	"tun-info", "tun-type", "tun-port", "tun-nocsum", "tun-csum", "tun-remcsum",
}

// tag identifies an option's action.
type tag uint8

const (
	tagCommand tag = iota
	tagTCP
	tagUDP
	tagSCTP
	tagFWMark
	tagScheduler
	tagPersistent
	tagNetmask
	tagServer
	tagMasq
	tagTunnel
	tagRoute
	tagWeight
	tagUThreshold
	tagLThreshold
	tagNumeric
	tagConnection
	tagMcastIfn
	tagSyncID
	tagTimeout
	tagDaemon
	tagStats
	tagRate
	tagThresholds
	tagPersistentConn
	tagNoSort
	tagSort
	tagExact
	tagIPv6
	tagOnePacket
	tagPE
	tagSchedFlags
	tagMcastGroup
	tagMcastPort
	tagMcastTTL
	tagSyncMaxLen
	tagTunInfo
	tagTunType
	tagTunPort
	tagTunNoCsum
	tagTunCsum
	tagTunRemCsum
)

// optSpec is one entry of ipvsadm's popt option table.
type optSpec struct {
	long  string
	short byte
	arg   argKind
	tag   tag
	cmd   Kind // the command, for tagCommand
	optc  optc // the tracked option, or untracked
	// shortOnly marks the second "list" entry (-l): popt finds --list as
	// the first entry (-L), and pflag allows one shorthand a flag, so -l
	// gets a flag of its own that long lookups ignore.
	shortOnly bool
}

// optTable is ipvsadm 1.31's option table, in its order.
var optTable = [...]optSpec{
	{long: "add-service", short: 'A', cmd: AddService, optc: untracked},
	{long: "edit-service", short: 'E', cmd: EditService, optc: untracked},
	{long: "delete-service", short: 'D', cmd: DeleteService, optc: untracked},
	{long: "clear", short: 'C', cmd: Flush, optc: untracked},
	{long: "list", short: 'L', cmd: List, optc: untracked},
	{long: "list-l", short: 'l', cmd: List, optc: untracked, shortOnly: true},
	{long: "zero", short: 'Z', cmd: Zero, optc: untracked},
	{long: "add-server", short: 'a', cmd: AddServer, optc: untracked},
	{long: "edit-server", short: 'e', cmd: EditServer, optc: untracked},
	{long: "delete-server", short: 'd', cmd: DeleteServer, optc: untracked},
	{long: "set", cmd: SetTimeouts, optc: untracked},
	{long: "help", short: 'h', cmd: Help, optc: untracked},
	{long: "version", short: 'v', cmd: Version, optc: untracked},
	{long: "restore", short: 'R', cmd: Restore, optc: untracked},
	{long: "save", short: 'S', cmd: Save, optc: untracked},
	{long: "start-daemon", arg: argRequired, cmd: StartDaemon, optc: untracked},
	{long: "stop-daemon", arg: argRequired, cmd: StopDaemon, optc: untracked},
	{long: "tcp-service", short: 't', arg: argRequired, tag: tagTCP, optc: optService},
	{long: "udp-service", short: 'u', arg: argRequired, tag: tagUDP, optc: optService},
	{long: "sctp-service", arg: argRequired, tag: tagSCTP, optc: optService},
	{long: "fwmark-service", short: 'f', arg: argRequired, tag: tagFWMark, optc: optService},
	{long: "scheduler", short: 's', arg: argRequired, tag: tagScheduler, optc: optScheduler},
	{long: "persistent", short: 'p', arg: argOptional, tag: tagPersistent, optc: optPersistent},
	{long: "netmask", short: 'M', arg: argRequired, tag: tagNetmask, optc: optNetmask},
	{long: "real-server", short: 'r', arg: argRequired, tag: tagServer, optc: optServer},
	{long: "masquerading", short: 'm', tag: tagMasq, optc: optForward},
	{long: "ipip", short: 'i', tag: tagTunnel, optc: optForward},
	{long: "gatewaying", short: 'g', tag: tagRoute, optc: optForward},
	{long: "weight", short: 'w', arg: argRequired, tag: tagWeight, optc: optWeight},
	{long: "u-threshold", short: 'x', arg: argRequired, tag: tagUThreshold, optc: optUThreshold},
	{long: "l-threshold", short: 'y', arg: argRequired, tag: tagLThreshold, optc: optLThreshold},
	{long: "numeric", short: 'n', tag: tagNumeric, optc: optNumeric},
	{long: "connection", short: 'c', tag: tagConnection, optc: optConnection},
	{long: "mcast-interface", arg: argRequired, tag: tagMcastIfn, optc: optMcastIfn},
	{long: "syncid", arg: argRequired, tag: tagSyncID, optc: optSyncID},
	{long: "timeout", tag: tagTimeout, optc: optTimeout},
	{long: "daemon", tag: tagDaemon, optc: optDaemon},
	{long: "stats", tag: tagStats, optc: optStats},
	{long: "rate", tag: tagRate, optc: optRate},
	{long: "thresholds", tag: tagThresholds, optc: optThresholds},
	{long: "persistent-conn", tag: tagPersistentConn, optc: optPersistentConn},
	{long: "nosort", tag: tagNoSort, optc: optNoSort},
	{long: "sort", tag: tagSort, optc: untracked},
	{long: "exact", short: 'X', tag: tagExact, optc: optExact},
	{long: "ipv6", short: '6', tag: tagIPv6, optc: untracked},
	{long: "ops", short: 'o', tag: tagOnePacket, optc: optOnePacket},
	{long: "pe", arg: argRequired, tag: tagPE, optc: optPE},
	{long: "sched-flags", short: 'b', arg: argRequired, tag: tagSchedFlags, optc: optSchedFlags},
	{long: "mcast-group", arg: argRequired, tag: tagMcastGroup, optc: optMcastGroup},
	{long: "mcast-port", arg: argRequired, tag: tagMcastPort, optc: optMcastPort},
	{long: "mcast-ttl", arg: argRequired, tag: tagMcastTTL, optc: optMcastTTL},
	{long: "sync-maxlen", arg: argRequired, tag: tagSyncMaxLen, optc: optSyncMaxLen},
	{long: "tun-info", tag: tagTunInfo, optc: optTunInfo},
	{long: "tun-type", arg: argRequired, tag: tagTunType, optc: optTunType},
	{long: "tun-port", arg: argRequired, tag: tagTunPort, optc: optTunPort},
	{long: "tun-nocsum", tag: tagTunNoCsum, optc: optTunNoCsum},
	{long: "tun-csum", tag: tagTunCsum, optc: optTunCsum},
	{long: "tun-remcsum", tag: tagTunRemCsum, optc: optTunRemCsum},
}

// noValue is the NoOptDefVal of -p: the value Set receives when -p has no
// value (popt's NULL). Arguments are C strings, so no real value contains
// a NUL byte (Parse cuts arguments at their first NUL).
const noValue = "\x00"

// binding ties a FlagSet's values to the parse using it.
type binding struct{ p *parser }

// optValue is the pflag.Value of every option: Set hands the value to the
// parser's action for the option, in command-line order.
// The values keep nothing themselves (the parser does), so a FlagSet
// needs no reset between parses.
type optValue struct {
	spec *optSpec
	b    *binding
}

// String is the default value shown in pflag's usage text: none.
func (v *optValue) String() string { return "" }

func (v *optValue) Type() string {
	if v.spec.arg == argNone {
		return "bool"
	}
	return "string"
}

func (v *optValue) Set(s string) error {
	if err := v.b.p.apply(v.spec, s); err != nil {
		return err
	}
	return nil
}

// newFlagSet defines every option of optTable on a FlagSet whose values
// call the actions of b's parser.
func newFlagSet(b *binding) *pflag.FlagSet {
	fs := pflag.NewFlagSet("ipvsadm", pflag.ContinueOnError)
	fs.SortFlags = false // keep the table order; VisitAll then needs no sort
	for i := range optTable {
		spec := &optTable[i]
		short := ""
		if spec.short != 0 {
			short = string([]byte{spec.short})
		}
		f := fs.VarPF(&optValue{spec: spec, b: b}, spec.long, short, "")
		switch spec.arg {
		case argNone:
			f.NoOptDefVal = "true"
		case argOptional:
			f.NoOptDefVal = noValue
		}
		if spec.shortOnly {
			f.Hidden = true
		}
	}
	return fs
}

// specOf returns the table entry behind a flag of the FlagSet.
func specOf(f *pflag.Flag) *optSpec { return f.Value.(*optValue).spec }

// boundFlagSet is a FlagSet with its binding. Building the FlagSet is most
// of the cost of a parse, so finished ones are kept for reuse (a restore
// parses every line).
type boundFlagSet struct {
	fs    *pflag.FlagSet
	b     *binding
	short shortIndex
	p     parser // the parser the FlagSet is bound to, reset by each parse
}

// shortIndex finds a flag by its one-byte shorthand: what
// FlagSet.ShorthandLookup does, without its map and checks, for the
// scanner's every short option.
type shortIndex [256]*pflag.Flag

var flagSets = sync.Pool{New: func() any {
	b := &binding{}
	bf := &boundFlagSet{fs: newFlagSet(b), b: b}
	b.p = &bf.p
	bf.fs.VisitAll(func(f *pflag.Flag) {
		if len(f.Shorthand) == 1 {
			bf.short[f.Shorthand[0]] = f
		}
	})
	return bf
}}
