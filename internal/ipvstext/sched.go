package ipvstext

import "github.com/ipvsadm-go/ipvsadm/internal/ipvs"

// SchedFlagBits are the service flags that SchedFlags names.
const SchedFlagBits = ipvs.FlagSched1 | ipvs.FlagSched2 | ipvs.FlagSched3

// SchedFlags returns the scheduler-flag text of listings and saves
// (the part inside the parentheses of a listing, after "-b " in a save
// line): the names ipvs.SchedFlagName gives the bits set for the
// scheduler, joined by commas in bit order. It may be empty ("sh" or "mh"
// with only bit 0x20, which they do not name) although some flag bit is
// set.
func SchedFlags(scheduler string, flags ipvs.ServiceFlags) string {
	return string(AppendSchedFlags(nil, scheduler, flags))
}

// AppendSchedFlags appends SchedFlags' text to b.
func AppendSchedFlags(b []byte, scheduler string, flags ipvs.ServiceFlags) []byte {
	first := true
	for _, bit := range [3]ipvs.ServiceFlags{ipvs.FlagSched1, ipvs.FlagSched2, ipvs.FlagSched3} {
		if flags&bit == 0 {
			continue
		}
		name := ipvs.SchedFlagName(scheduler, bit)
		if name == "" {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, name...)
	}
	return b
}
