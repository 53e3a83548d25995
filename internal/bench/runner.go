package bench

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// Config configures a benchmark run.
type Config struct {
	Reference, Ours Binary
	Sizes           []SizeRuns
	Ops             []Op
	// FullRuns caps the runs of restore-full, the slowest operation
	// (0: no cap).
	FullRuns int
	// Dir is a scratch directory for rule files and outputs.
	Dir string
	// FloorCommand returns the argv of the floor program doing job (see
	// Op.Floor) for a size: a process that runs Floor.
	FloorCommand func(job string, s Size) []string
	// Conns is how many connection entries the conns operation makes (1
	// to MaxConns).
	Conns int
	// Meter starts and measures each command.
	Meter *Meter
	// Log receives progress messages (nil: none).
	Log func(format string, args ...any)
	// Emit receives each measurement as soon as it is taken (nil: none).
	Emit func(Measurement)
}

// contender is one command timed against the others.
type contender struct {
	impl string
	argv []string
}

// runner holds the state of one Run.
type runner struct {
	cfg Config
	nss *Namespaces
	ns  *NetNS // the next run's namespace, fresh and empty
}

// Run measures every operation at every size, alternating the
// implementations (and rotating which goes first) run by run. It stops
// at the first failing run and returns the measurements taken so far.
func Run(cfg Config) (ms []Measurement, err error) {
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	if cfg.Emit == nil {
		cfg.Emit = func(Measurement) {}
	}
	if err := cfg.checkConns(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("scratch directory: %w", err)
	}
	nss, err := NewNamespaces()
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, nss.Close()) }()
	r := &runner{cfg: cfg, nss: nss}
	if r.ns, _, err = nss.Fresh(); err != nil {
		return nil, err
	}
	defer func() {
		if r.ns != nil {
			r.ns.Close()
		}
	}()

	for _, sr := range cfg.Sizes {
		rules := filepath.Join(cfg.Dir, "rules-"+sr.Size.String())
		if err := writeRules(rules, sr.Size); err != nil {
			return ms, err
		}
		want := sr.Size.ExpectedLines()
		reqs := sr.Size.Requests()
		for _, op := range cfg.Ops {
			runs := sr.Runs
			if (op.Name == "restore-full" || op.Name == "converge-full") && cfg.FullRuns > 0 {
				runs = min(runs, cfg.FullRuns)
			}
			cs := []contender{
				{ImplReference, op.argv(cfg.Reference)},
				{ImplOurs, op.argv(cfg.Ours)},
			}
			if op.Floor != "" {
				cs = append(cs, contender{ImplFloor, cfg.FloorCommand(op.Floor, sr.Size)})
			}
			for run := range runs {
				for k := range cs {
					c := cs[(k+run)%len(cs)]
					m, err := r.once(op, sr.Size, c, run+1, rules, want, reqs)
					if err != nil {
						return ms, err
					}
					ms = append(ms, m)
					cfg.Emit(m)
				}
			}
		}
	}
	return ms, nil
}

// checkConns returns an error if an operation makes connections and
// cfg cannot give it what it needs: a count in range, and a destination
// in the first service at every size.
func (cfg *Config) checkConns() error {
	for _, op := range cfg.Ops {
		if !op.Conns {
			continue
		}
		if cfg.Conns < 1 || cfg.Conns > MaxConns {
			return fmt.Errorf("%s: %d connections asked, want 1 to %d", op.Name, cfg.Conns, MaxConns)
		}
		for _, sr := range cfg.Sizes {
			if sr.Size.Dests == 0 {
				return fmt.Errorf("%s at %s: the services need a destination to schedule connections to", op.Name, sr.Size)
			}
		}
	}
	return nil
}

// writeRules writes the rule file of size to name.
func writeRules(name string, size Size) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("rule file: %w", err)
	}
	if err := size.WriteRules(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("rule file: %w", err)
	}
	return nil
}

// once runs c for op in the fresh namespace r.ns, checks the table, then
// drops the namespace and waits for its teardown (making the next run's).
func (r *runner) once(op Op, size Size, c contender, run int, rules string, want *Table, reqs []ipvs.Request) (Measurement, error) {
	m := Measurement{Op: op.Name, Size: size.String(), Lines: size.Lines(), Impl: c.impl, Run: run}
	r.cfg.Log("%s %s: %s run %d", op.Name, size, c.impl, run)
	err := r.measure(op, size, c, rules, want, reqs, &m)
	if err != nil {
		return m, fmt.Errorf("%s %s, %s run %d: %w", op.Name, size, c.impl, run, err)
	}
	r.ns.Close()
	ns, waited, err := r.nss.Fresh()
	if err != nil {
		r.ns = nil
		return m, fmt.Errorf("%s %s, %s run %d: %w", op.Name, size, c.impl, run, err)
	}
	r.ns, m.Teardown = ns, waited.Seconds()
	r.cfg.Log("  %.3fs, peak RSS %d KiB (setup %.1fs, check %.1fs, teardown %.1fs)",
		m.Wall, m.MaxRSSKiB, m.Setup, m.Verify, m.Teardown)
	return m, nil
}

// measure preloads the table if op wants it, times c and checks the table
// and c's output. Every socket it opens is closed when it returns.
func (r *runner) measure(op Op, size Size, c contender, rules string, want *Table, reqs []ipvs.Request, m *Measurement) error {
	client, err := ipvs.Dial(&ipvs.Config{NetNS: r.ns.FD()})
	if err != nil {
		return err
	}
	defer client.Close()
	if op.Preload {
		start := time.Now()
		if err := Load(client, reqs); err != nil {
			return fmt.Errorf("preloading the table: %w", err)
		}
		m.Setup = time.Since(start).Seconds()
	}
	vip := size.Service(0).ServiceKey
	if op.Conns {
		start := time.Now()
		if err := r.makeConnections(client, vip); err != nil {
			return err
		}
		m.Setup += time.Since(start).Seconds()
	}
	stdin := ""
	if op.Stdin {
		stdin = rules
	}
	out := filepath.Join(r.cfg.Dir, "stdout")
	u, err := r.cfg.Meter.runChild(r.ns, c.argv, stdin, out)
	m.Wall, m.User, m.Sys, m.MaxRSSKiB = u.Wall.Seconds(), u.User.Seconds(), u.Sys.Seconds(), u.MaxRSSKiB
	if err != nil {
		return err
	}

	start := time.Now()
	if !op.ReadOnly {
		got, err := ReadTable(client)
		if err != nil {
			return err
		}
		expected := want
		if op.Clears {
			expected = &Table{}
		}
		if err := expected.Check(got); err != nil {
			return fmt.Errorf("after the run: %w", err)
		}
	}
	if op.Conns {
		if err := checkConnections(client, vip, r.cfg.Conns); err != nil {
			return fmt.Errorf("after the run: %w", err)
		}
	}
	output, err := os.ReadFile(out)
	if err != nil {
		return fmt.Errorf("reading the output: %w", err)
	}
	switch {
	case c.impl == ImplFloor:
		got, err := ParseFloorOutput(output)
		if err != nil {
			return err
		}
		if op.Conns && got.Conns.Lines != 1+r.cfg.Conns {
			return fmt.Errorf("the floor read %d lines, want %d (a header and %d connections)",
				got.Conns.Lines, 1+r.cfg.Conns, r.cfg.Conns)
		}
		m.FloorKernel, m.Reads, m.LargestRead = got.Kernel, got.Conns.Reads, got.Conns.Largest
	case op.check != nil:
		if err := op.check(output, want, r.cfg.Conns); err != nil {
			return err
		}
	case len(output) > 0:
		return fmt.Errorf("unexpected output: %.200q", output)
	}
	m.Verify = time.Since(start).Seconds()
	return nil
}

// makeConnections gives lo the address of vip, makes the configured number
// of connection entries to it and checks that the kernel holds them all.
func (r *runner) makeConnections(client *ipvs.Client, vip ipvs.ServiceKey) error {
	if err := addLocalAddress(r.cfg.Meter.busybox, r.ns, vip.Addr); err != nil {
		return err
	}
	if err := MakeConnections(r.ns, netip.AddrPortFrom(vip.Addr, vip.Port), r.cfg.Conns); err != nil {
		return err
	}
	return checkConnections(client, vip, r.cfg.Conns)
}
