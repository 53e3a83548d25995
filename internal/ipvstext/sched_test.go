package ipvstext

import (
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

func TestSchedFlags(t *testing.T) {
	for _, tc := range []struct {
		sched string
		flags ipvs.ServiceFlags
		want  string
	}{
		{"sh", ipvs.FlagSched1, "sh-fallback"},
		{"sh", ipvs.FlagSched3, ""},
		{"mh", ipvs.FlagSched2 | ipvs.FlagSched1, "mh-fallback,mh-port"},
		{"wlc", ipvs.FlagSched2 | ipvs.FlagSched1 | ipvs.FlagSched3, "flag-1,flag-2,flag-3"},
		{"wrr", ipvs.FlagSched3 | ipvs.FlagSched1 | ipvs.FlagPersistent, "flag-1,flag-3"},
	} {
		if got := SchedFlags(tc.sched, tc.flags); got != tc.want {
			t.Errorf("SchedFlags(%q, %#x) = %q, want %q", tc.sched, tc.flags, got, tc.want)
		}
	}
}
