package rule

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
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
// cannot restore these either (an empty "-b ", names that contain restore
// separators, the "ipvsadm" token or popt's "!#:+"). Every firewall mark
// can: unlike the original's, a save line prints it unsigned.
func restorable(c *Command) bool {
	s := &c.Service
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
	f.Add("-a -f 2147483648 -6 -r [::1] -i -w 0")
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

// TestRoundTripEveryFWMark checks Parse(Format(c)) == c, and the same for
// the change lines of converge (FormatChange), for firewall marks across
// the whole uint32 range: the edges around 2^31 and 2^32, a stride through
// the range and random marks. The original saves marks of 2^31 and above
// as negative numbers, which it cannot restore; ours saves them unsigned.
func TestRoundTripEveryFWMark(t *testing.T) {
	marks := []uint32{1, 2, math.MaxInt32 - 1, math.MaxInt32, 1 << 31, 1<<31 + 1, 3000000000, math.MaxUint32 - 1, math.MaxUint32}
	for m := uint64(7); m <= math.MaxUint32; m += 1<<32/4099 + 1 {
		marks = append(marks, uint32(m))
	}
	rng := rand.New(rand.NewPCG(12, 8))
	for range 2000 {
		marks = append(marks, max(rng.Uint32(), 1))
	}
	templates := []string{
		"-A -f 1 -s rr -p 100 -M 255.255.0.0 -o",
		"-A -f 1 -6 -s sed -p 60 -M 64",
		"-a -f 1 -r 192.168.1.30 -m -w 3 -x 10 -y 5",
		"-a -f 1 -6 -r [2001:db8::12]:0 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum",
	}
	for _, tmpl := range templates {
		base, err := parse(Tokenize(tmpl), false)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tmpl, err)
		}
		for _, m := range marks {
			c := *base
			c.Service.FWMark = m
			text := Format(&c, nil)
			if want := "-f " + strconv.FormatUint(uint64(m), 10) + " "; !strings.Contains(text, want) {
				t.Fatalf("Format of mark %d: %q lacks %q", m, text, want)
			}
			back, err := parse(Tokenize(text), false)
			if err != nil {
				t.Fatalf("mark %d: Parse(%q): %v", m, text, err)
			}
			if diff := cmp.Diff(saved(&c), *back, cmpOpts); diff != "" {
				t.Fatalf("mark %d: round trip via %q (-want +got):\n%s", m, text, diff)
			}
			edit, del := c, c
			if c.Kind == AddService {
				edit.Kind, del.Kind = EditService, DeleteService
			} else {
				edit.Kind, del.Kind = EditServer, DeleteServer
			}
			for _, ch := range []Command{c, edit, del} {
				line := FormatChange(&ch, nil)
				back, err := parse(Tokenize(line), false)
				if err != nil {
					t.Fatalf("mark %d: Parse(%q): %v", m, line, err)
				}
				if back.Kind != ch.Kind || back.Service.ServiceKey != ch.Service.ServiceKey {
					t.Fatalf("mark %d: %q parses as %v %+v", m, line, back.Kind, back.Service.ServiceKey)
				}
			}
		}
	}
}
