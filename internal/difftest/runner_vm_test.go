package difftest

import (
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// TestScriptRunner: what runScripts reports of each script equals what a
// bash -c of its own reports (side.run): standard output and error, exit
// status (also of a script killed by a signal or ending with exit),
// positional parameters, standard input, open descriptors and the
// directory, including a script that writes more than a pipe holds and one
// in another directory, and bash's own messages with their line numbers.
// Scripts after a failing one still run. (A syntax error reads
// differently: see runScripts.)
func TestScriptRunner(t *testing.T) {
	ns := vmtest.NewNetNS(t)
	dir, other := t.TempDir(), t.TempDir()
	texts := []string{
		`echo out; echo err >&2; exit 3`,
		`echo "args: $# [$1] [$*]"; cat; echo "stdin: $?"`,
		`ls /proc/self/fd | sort | tr '\n' ' '`,
		`pwd; ls`,
		`kill -TERM $BASHPID`,
		`head -c 200000 /dev/zero | tr '\0' x; echo`,
		`set -o pipefail; false | true; echo "status $?"; ( exit 7 )`,
		`no-such-command`,
		"true\nno-such-command-2\necho $LINENO",
		`echo x >/nonexistent/y`,
		`ipvsadm -A -t 10.0.0.1:80 -s rr && ipvsadm -Sn`,
		`ipvsadm -Sn; ipvsadm -C`,
	}
	var scripts []script
	for _, text := range texts {
		scripts = append(scripts, script{dir, text})
	}
	scripts = append(scripts, script{other, `pwd; echo "$OLDPWD"`})
	for _, s := range sides {
		got, err := s.runScripts(ns, scripts)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		for k, sc := range scripts {
			want, err := s.run(ns, sc.dir, sc.text)
			if err != nil {
				t.Fatalf("%s: %q: %v", s.name, sc.text, err)
			}
			if got[k] != want {
				t.Errorf("%s: %q:\nrunner  %+v\nbash -c %+v", s.name, sc.text, got[k], want)
			}
		}
	}
}
