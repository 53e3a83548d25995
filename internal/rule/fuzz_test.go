package rule

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvstext"
)

var fuzzSeeds = []string{
	"-A -t 10.1.1.1:80 -s rr -p 100 -M 255.255.0.0 --pe sip -b flag-1",
	"-a -t 10.1.1.1:80 -r 192.168.1.13:80 -i -w 1 --tun-type gue --tun-port 5555 --tun-remcsum",
	"-a -r 10.0.0.4 -m -t 10.0.0.1:80",
	"-A -t [2001:db8::100]:443 -p -M 64abc",
	"-A -f 7 -6 -p -M 64",
	"-Lnc --persistent-conn",
	"--set 10 20 30 -n",
	"5 6 7 --set",
	"--start-daemon backup --mcast-interface lo --syncid 7 --mcast-group ff02::1",
	"-A -t 1.2.3.4:!#:+ 80 -s x!#:+",
	"-At1.2.3.4:80 -p=5 -b,,flag-2",
	"-L -- -n",
	"-A -u [::ffff:1.2.3.4]:53 -o",
	"-a -f 100 -r 192.168.1.30 -x 5 -y 3 -w 010",
	"-E -t 0x7f000001:http -s sh -b sh-port,sh-fallback",
	"-h", "-v", "-Ln=", "-p -A", "--tun-type", "-L -b ,",
}

// FuzzParse checks that no argument list makes Parse panic, that errors
// are *Error with a known class, and that Parse is deterministic.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, false)
	}
	f.Add("--set 1 2 3 -n", true)
	f.Fuzz(func(t *testing.T, line string, posix bool) {
		args := strings.Split(line, " ")
		c1, err1 := parse(args, posix)
		c2, err2 := parse(args, posix)
		if err1 != nil {
			var e *Error
			if !errors.As(err1, &e) || e.Class < TryHelp || e.Class > Fail {
				t.Fatalf("Parse(%q) error %#v", args, err1)
			}
			if err2 == nil || err2.Error() != err1.Error() {
				t.Fatalf("Parse(%q) not deterministic: %v then %v", args, err1, err2)
			}
			return
		}
		if err2 != nil || *c1 != *c2 {
			t.Fatalf("Parse(%q) not deterministic", args)
		}
		if c1.Kind < AddService || c1.Kind > Version {
			t.Fatalf("Parse(%q) kind %d", args, c1.Kind)
		}
		_ = Format(c1, nil)
	})
}

// restorable reports whether c's save line can be read back: the original
// cannot restore these either (a negative mark, an empty "-b ", names that
// contain restore separators, the "ipvsadm" token or popt's "!#:+").
func restorable(c *Command) bool {
	s := &c.Service
	if s.FWMark > math.MaxInt32 {
		return false
	}
	if s.Flags&ipvstext.SchedFlagBits != 0 && ipvstext.SchedFlags(s.Scheduler, s.Flags) == "" {
		return false
	}
	for _, name := range []string{s.Scheduler, s.PE} {
		if strings.ContainsAny(name, " \t\r\n\x00") || strings.Contains(name, "!#:+") || name == progToken {
			return false
		}
	}
	return c.Kind != AddService || s.Scheduler != ""
}

// saved is what a save line keeps of a command: thresholds are not saved,
// and the netmask only for persistent services.
func saved(c *Command) Command {
	out := *c
	out.Server.UpperThreshold, out.Server.LowerThreshold = 0, 0
	if out.Kind == AddService && out.Service.Flags&ipvs.FlagPersistent == 0 {
		out.Service.Netmask = 0xffffffff
		if out.Service.Family == ipvs.INET6 {
			out.Service.Netmask = 128
		}
	}
	return out
}

// FuzzRoundTrip checks Parse(Format(c)) == c for every save-able command
// Parse produces.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range saveLines {
		f.Add(s)
	}
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add("-A -t 1.2.3.4:3 -s sh -b flag-3")
	f.Add("-A -f 4294967295")
	f.Add("-a -t [::1]:80 -r [::2] -m -x 9")
	f.Add("-A -t 1.2.3.4:80 -M 255.0.0.0")
	f.Fuzz(func(t *testing.T, line string) {
		c, err := parse(Tokenize(line), false)
		if err != nil || (c.Kind != AddService && c.Kind != AddServer) || !restorable(c) {
			return
		}
		text := Format(c, nil)
		back, err := parse(Tokenize(text), false)
		if err != nil {
			t.Fatalf("Parse(Format(Parse(%q))) = Parse(%q): %v", line, text, err)
		}
		if diff := cmp.Diff(saved(c), *back, cmpOpts); diff != "" {
			t.Fatalf("round trip of %q via %q (-want +got):\n%s", line, text, diff)
		}
		if again := Format(back, nil); again != text {
			t.Fatalf("Format not stable: %q then %q", text, again)
		}
	})
}

func TestRoundTripSeeds(t *testing.T) {
	n := 0
	for _, line := range append(append([]string{}, saveLines...), fuzzSeeds...) {
		c, err := parse(Tokenize(line), false)
		if err != nil || (c.Kind != AddService && c.Kind != AddServer) {
			continue
		}
		n++
		back, err := parse(Tokenize(Format(c, nil)), false)
		if err != nil {
			t.Errorf("%q: %v", line, err)
			continue
		}
		if diff := cmp.Diff(saved(c), *back, cmpOpts); diff != "" {
			t.Errorf("round trip of %q (-want +got):\n%s", line, diff)
		}
	}
	if n < 30 {
		t.Errorf("only %d save-able seeds", n)
	}
}
