package ipvstext

import "github.com/ipvsadm-go/ipvsadm/internal/ipvs"

// SchedFlagBits are the service flags that SchedFlags names.
const SchedFlagBits = ipvs.FlagSched1 | ipvs.FlagSched2 | ipvs.FlagSched3

// SchedFlags returns the scheduler-flag text of listings and saves
// (the part inside the parentheses of a listing, after
// "-b " in a save line): for "sh" and "mh" the scheduler's names of bits
// 0x8 and 0x10 (sh-fallback, sh-port), otherwise flag-1, flag-2, flag-3;
// joined by commas in bit order. It may be empty ("sh" or "mh" with only
// bit 0x20) although some flag bit is set.
func SchedFlags(scheduler string, flags ipvs.ServiceFlags) string {
	return string(AppendSchedFlags(nil, scheduler, flags))
}

// AppendSchedFlags appends SchedFlags' text to b.
func AppendSchedFlags(b []byte, scheduler string, flags ipvs.ServiceFlags) []byte {
	var names [3]string
	switch scheduler {
	case "sh":
		names = [3]string{"sh-fallback", "sh-port", ""}
	case "mh":
		names = [3]string{"mh-fallback", "mh-port", ""}
	default:
		names = [3]string{"flag-1", "flag-2", "flag-3"}
	}
	first := true
	for i, bit := range [3]ipvs.ServiceFlags{ipvs.FlagSched1, ipvs.FlagSched2, ipvs.FlagSched3} {
		if flags&bit == 0 || names[i] == "" {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, names[i]...)
	}
	return b
}
