package clitest

import (
	"slices"
	"strings"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// TestCompletionFromTable: the bash completion offers the services and
// servers of the real table, read with our "ipvsadm -Sn", of the caller's
// namespace or of the one --netns names on the line, and the names of the
// named namespaces.
func TestCompletionFromTable(t *testing.T) {
	caller, x := vmtest.NewNetNS(t), vmtest.NewNetNS(t)
	n := name(t, x)
	refIpvsadm.must(t, caller, "-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m\n-A -u 10.0.0.5:53\n", "-R")
	refIpvsadm.must(t, x, "-A -t 10.9.0.1:80\n-a -t 10.9.0.1:80 -r 10.9.1.1:80 -m\n-a -t 10.9.0.1:80 -r 10.9.1.2:80 -m\n"+
		"-A -t 10.9.0.2:443\n-A -f 9\n", "-R")
	for _, tc := range []struct{ line, want string }{
		{"ipvsadm -D -t ", "10.0.0.1:80"},
		{"ipvsadm -Ln -u ", "10.0.0.5:53"},
		{"ipvsadm -d -t 10.0.0.1:80 -r ", "10.0.1.1:80"},
		{"ipvsadm --netns " + n + " -D -t ", "10.9.0.1:80 10.9.0.2:443"},
		{"ipvsadm --netns " + n + " -L -f ", "9"},
		{"ipvsadm --netns " + n + " -e -t 10.9.0.1:80 -r ", "10.9.1.1:80 10.9.1.2:80"},
		{"ipvsadm --netns " + n + " -d -t 10.0.0.1:80 -r ", ""},
		{"ipvsadm-save --netns " + n[:len(n)-1], n},
	} {
		script := `PATH=` + oursDir + `:$PATH
source ` + completionFile + `
COMP_LINE=$1 COMP_POINT=${#1}
read -ra COMP_WORDS <<<"$1"
[[ $1 == *' ' ]] && COMP_WORDS+=('')
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_ipvsadm_go
printf '%s\n' "${COMPREPLY[@]}"`
		r := program{"/bin/bash", "bash"}.run(t, caller, "", "--norc", "--noprofile", "-c", script, "bash", tc.line)
		if r.Status != 0 || r.Stderr != "" {
			t.Fatalf("%q: %v", tc.line, r)
		}
		got := strings.Fields(r.Stdout)
		slices.Sort(got)
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%q: %q, want %q", tc.line, got, tc.want)
		}
	}
}
