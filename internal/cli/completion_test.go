package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// completionFile is the bash completion, relative to this package.
const completionFile = "../../cmd/ipvsadm/completion/ipvsadm.bash"

// completionTable is what the stub ipvsadm prints for -Sn: the table the
// completion reads services and servers from.
const completionTable = `-A -t 10.0.0.1:80 -s rr
-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1
-a -t 10.0.0.1:80 -r 10.0.1.2:8080 -m -w 1
-A -t 10.0.0.2:443 -s wlc
-a -t 10.0.0.2:443 -r 10.0.2.1:443 -g -w 1
-A -t [2001:db8::1]:80 -s wlc
-A -u 10.0.0.3:53 -s sh
-a -u 10.0.0.3:53 -r 10.0.3.1:53 -i -w 1 --tun-type ipip
-A --sctp-service 10.0.0.4:5060 -s mh
-A -f 7 -s wlc
-a -f 7 -r 10.0.7.1:0 -g -w 1
`

// compWords splits a command line as bash does for COMP_WORDS with the
// default COMP_WORDBREAKS, as far as the test lines need: at blanks, and
// runs of ':' and '=' are words of their own. A line ending in a blank
// has an empty word last.
func compWords(line string) []string {
	var words []string
	var cur strings.Builder
	inBreak := false
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, cur.String())
			cur.Reset()
		}
	}
	for _, r := range line {
		switch {
		case r == ' ':
			flush()
			inBreak = false
		case r == ':' || r == '=':
			if !inBreak {
				flush()
			}
			inBreak = true
			cur.WriteRune(r)
		default:
			if inBreak {
				flush()
			}
			inBreak = false
			cur.WriteRune(r)
		}
	}
	flush()
	if strings.HasSuffix(line, " ") || len(words) == 0 {
		words = append(words, "")
	}
	return words
}

func bashQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// complete runs the completion function for each line (the cursor at its
// end) in one bash, after setup, and returns each line's COMPREPLY,
// sorted. The table is completionTable and /var/run/netns is netnsDir.
func complete(t *testing.T, bash, netnsDir, setup string, lines []string) [][]string {
	t.Helper()
	file, err := filepath.Abs(completionFile)
	if err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	script.WriteString(setup + "\n" +
		"source " + bashQuote(file) + " || exit 3\n" +
		// The stubs: the table is always readable and comes from here
		// (for the caller's namespace and for blue); namespaces are those
		// of netnsDir.
		"_ipvsadm_go_can_query() { return 0; }\n" +
		"ipvsadm() { [[ \"$*\" == '-Sn' || \"$*\" == '-Sn --netns blue' ]] || return 1; printf '%s' " + bashQuote(completionTable) + "; }\n" +
		"_ipvsadm_go_netns_dir=" + bashQuote(netnsDir) + "\n")
	for _, line := range lines {
		words := compWords(line)
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = bashQuote(w)
		}
		// As bash calls it: COMP_* set, the command, the word and the one
		// before as arguments; the registration checked first.
		script.WriteString("COMP_WORDS=(" + strings.Join(quoted, " ") + ")\n" +
			"COMP_CWORD=" + strconv.Itoa(len(words)-1) + "\n" +
			"COMP_LINE=" + bashQuote(line) + "\n" +
			"COMP_POINT=" + strconv.Itoa(len(line)) + "\n" +
			"spec=$(complete -p " + bashQuote(filepath.Base(words[0])) + ") || exit 4\n" +
			"[[ $spec == 'complete -F _ipvsadm_go '* ]] || { echo \"$spec\"; exit 5; }\n" +
			"COMPREPLY=(stale)\n" +
			"_ipvsadm_go " + bashQuote(words[0]) + " " + bashQuote(words[len(words)-1]) + " " + bashQuote(words[max(len(words)-2, 0)]) + " || exit 6\n" +
			"printf '%s\\n' \"${COMPREPLY[@]}\" '@@'\n")
	}
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script.String())
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	replies := make([][]string, 0, len(lines))
	var reply []string
	for _, l := range strings.Split(string(out), "\n") {
		switch l {
		case "@@":
			slices.Sort(reply)
			replies = append(replies, reply)
			reply = nil
		case "":
		default:
			reply = append(reply, l)
		}
	}
	if len(replies) != len(lines) || reply != nil {
		t.Fatalf("%d replies for %d lines:\n%s", len(replies), len(lines), out)
	}
	return replies
}

// TestCompletionKnowsEveryOption: every long option of the help text, and
// every option of this program's own, is in the completion.
func TestCompletionKnowsEveryOption(t *testing.T) {
	src, err := os.ReadFile(completionFile)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, w := range regexp.MustCompile(`-[-a-zA-Z0-9]+`).FindAllString(string(src), -1) {
		known[w] = true
	}
	opts := regexp.MustCompile(`--[a-z][-a-z0-9]*`).FindAllString(rule.Usage("ipvsadm"), -1)
	opts = append(opts, "--netns", "--json", "--test", "--verbose", "--converge", "--dry-run")
	for _, o := range opts {
		if !known[strings.TrimRight(o, "-")] {
			t.Errorf("%s is not in %s", o, completionFile)
		}
	}
}

func TestCompWords(t *testing.T) {
	for line, want := range map[string]string{
		"ipvsadm -t 10.0.0.1:80":     "ipvsadm|-t|10.0.0.1|:|80",
		"ipvsadm --netns=":           "ipvsadm|--netns|=",
		"ipvsadm -t [2001:db8::1]:8": "ipvsadm|-t|[2001|:|db8|::|1]|:|8",
		"ipvsadm -L ":                "ipvsadm|-L|",
	} {
		if got := strings.Join(compWords(line), "|"); got != want {
			t.Errorf("%q: %q, want %q", line, got, want)
		}
	}
}

// TestBashCompletion sources the completion in bash (skipped only when
// there is no bash) and checks what it offers, without and, when the
// package is installed, with bash-completion loaded.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found")
	}
	netnsDir := t.TempDir()
	for _, n := range []string{"blue", "green", "red"} {
		if err := os.WriteFile(filepath.Join(netnsDir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setups := map[string]string{"standalone": ""}
	for _, p := range []string{"/usr/share/bash-completion/bash_completion", "/etc/bash_completion"} {
		if _, err := os.Stat(p); err == nil {
			setups["with bash-completion"] = "source " + bashQuote(p) + " >/dev/null 2>&1"
			break
		}
	}
	cases := []struct {
		line string
		want []string // nil: nothing
	}{
		// commands
		{"ipvsadm --a", []string{"--add-server", "--add-service"}},
		{"ipvsadm -", strings.Fields("-A --add-service -E --edit-service -D --delete-service -C --clear -R --restore " +
			"-S --save -a --add-server -e --edit-server -d --delete-server -L --list -l -Z --zero --set " +
			"--start-daemon --stop-daemon -h --help -v --version --netns")},
		{"ipvsadm --st", []string{"--start-daemon", "--stop-daemon"}},
		// options of a command, without those given already
		{"ipvsadm -A -t 10.0.0.9:80 --s", []string{"--scheduler", "--sched-flags"}},
		{"ipvsadm -A -t 10.0.0.9:80 -s rr --", []string{"--ipv6", "--netmask", "--netns", "--ops", "--pe", "--persistent", "--sched-flags"}},
		{"ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.9 -m --", []string{"--ipv6", "--l-threshold", "--netns", "--tun-csum", "--tun-nocsum", "--tun-port",
			"--tun-remcsum", "--tun-type", "--u-threshold", "--weight"}},
		{"ipvsadm -Ln --t", []string{"--tcp-service", "--thresholds", "--timeout", "--tun-info"}},
		{"ipvsadm -L --j", []string{"--json"}},
		{"ipvsadm -L --stats --s", []string{"--sctp-service", "--sort"}},
		{"ipvsadm -L -X", []string{"-X"}},
		{"ipvsadm -Lnc --e", []string{"--exact"}},
		{"ipvsadm -S -", []string{"--netns", "--numeric", "-n"}},
		{"ipvsadm -C -", []string{"--netns"}},
		{"ipvsadm --start-daemon master --m", []string{"--mcast-group", "--mcast-interface", "--mcast-port", "--mcast-ttl"}},
		// restore
		{"ipvsadm -R -", []string{"--converge", "--dry-run", "--netns", "--test", "--verbose"}},
		{"ipvsadm -R --test -", []string{"--netns", "--verbose"}},
		{"ipvsadm -R --dry-run -", []string{"--converge", "--netns", "--verbose"}},
		{"ipvsadm --netns blue -R --converge --", []string{"--dry-run", "--verbose"}},
		// values
		{"ipvsadm -A -t 10.0.0.9:80 -s ", strings.Fields("rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos")},
		{"ipvsadm -A -t 10.0.0.9:80 --scheduler w", []string{"wlc", "wrr"}},
		{"ipvsadm -A -t 10.0.0.9:80 --scheduler=lb", []string{"lblc", "lblcr"}},
		{"ipvsadm -A -t 10.0.0.9:80 -s sh -b sh-port,sh-", []string{"sh-port,sh-fallback"}},
		{"ipvsadm -A -t 10.0.0.9:80 --pe ", []string{"sip"}},
		{"ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.9 -i --tun-type g", []string{"gre", "gue"}},
		{"ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.9 -w ", nil},
		{"ipvsadm --start-daemon ", []string{"backup", "master"}},
		{"ipvsadm --stop-daemon b", []string{"backup"}},
		// namespaces
		{"ipvsadm --netns ", []string{"blue", "green", "red"}},
		{"ipvsadm -Ln --netns g", []string{"green"}},
		{"ipvsadm --netns=", []string{"blue", "green", "red"}},
		{"ipvsadm --netns=r", []string{"red"}},
		{"ipvsadm-save --netns b", []string{"blue"}},
		{"ipvsadm-restore --netns ", []string{"blue", "green", "red"}},
		// services and servers from the table
		{"ipvsadm -e -t ", []string{"10.0.0.1:80", "10.0.0.2:443", "[2001:db8::1]:80"}},
		{"ipvsadm -D -t 10.0.0.1", []string{"10.0.0.1:80"}},
		{"ipvsadm -D -t 10.0.0.1:", []string{"80"}},
		{"ipvsadm -E -t [2001:db8::1]:", []string{"80"}},
		{"ipvsadm -Ln -u ", []string{"10.0.0.3:53"}},
		{"ipvsadm -Z --sctp-service ", []string{"10.0.0.4:5060"}},
		{"ipvsadm -L -f ", []string{"7"}},
		{"ipvsadm -d -t 10.0.0.1:80 -r ", []string{"10.0.1.1:80", "10.0.1.2:8080"}},
		{"ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.2:", []string{"8080"}},
		{"ipvsadm --netns blue -d -u 10.0.0.3:53 -r ", []string{"10.0.3.1:53"}},
		{"ipvsadm --netns green -d -u 10.0.0.3:53 -r ", nil}, // the stub has no table for green
		{"ipvsadm -A -t ", nil},                              // a new service: nothing to offer
		// ipvsadm-save and ipvsadm-restore
		{"ipvsadm-save -", []string{"--netns", "-n"}},
		{"ipvsadm-save -n -", []string{"--netns"}},
		{"/usr/sbin/ipvsadm-save --n", []string{"--netns"}},
		{"ipvsadm-restore -", []string{"--converge", "--dry-run", "--netns", "--test", "--verbose"}},
		{"ipvsadm-restore --converge -", []string{"--dry-run", "--netns", "--verbose"}},
		{"ipvsadm-restore --verbose --test --", []string{"--netns"}},
	}
	lines := make([]string, len(cases))
	for i, tc := range cases {
		lines[i] = tc.line
	}
	for setupName, setup := range setups {
		t.Run(setupName, func(t *testing.T) {
			for i, got := range complete(t, bash, netnsDir, setup, lines) {
				want := slices.Clone(cases[i].want)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%q:\n got %q\nwant %q", cases[i].line, got, want)
				}
			}
		})
	}
}
