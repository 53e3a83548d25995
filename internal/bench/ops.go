package bench

import (
	"bytes"
	"fmt"
	"strings"
)

// Binary is one implementation under test.
type Binary struct {
	// Name labels the binary in the report: "reference" or "ours".
	Name string
	// Path is its ipvsadm.
	Path string
	// Restore is its ipvsadm-restore.
	Restore string
}

// Op is one measured operation.
type Op struct {
	// Name is the operation's short name, as -ops selects it.
	Name string
	// Title is the command it runs, for the report.
	Title string
	// Preload fills the table with the rule set (with the floor loader,
	// untimed) before the run.
	Preload bool
	// Stdin feeds the rule file to the command.
	Stdin bool
	// Floor, if set, adds the floor program doing this job (FloorRestore,
	// FloorList or FloorConns) as a third contender.
	Floor string
	// ReadOnly means the operation leaves the table as it was: its
	// output is checked, not the table (a read of every destination,
	// which takes longer than most operations at 100,000 services).
	ReadOnly bool
	// Conns makes Config.Conns connection entries to the first service
	// (MakeConnections, untimed) before the run, and checks they are all
	// still there after it.
	Conns bool
	// Clears means the table is empty afterwards; otherwise it must hold
	// exactly the rule set.
	Clears bool
	argv   func(b Binary) []string
	check  func(out []byte, want *Table, conns int) error // the command's output (conns: Config.Conns); nil: none expected
}

// AllOps are the operations the benchmark knows, in report order.
func AllOps() []Op {
	return []Op{
		{Name: "restore", Title: "ipvsadm -R < rules (empty table)", Stdin: true, Floor: FloorRestore,
			argv: func(b Binary) []string { return []string{b.Path, "-R"} }},
		{Name: "list", Title: "ipvsadm -Ln", Preload: true, ReadOnly: true, Floor: FloorList,
			argv:  func(b Binary) []string { return []string{b.Path, "-Ln"} },
			check: checkListing("-Ln")},
		{Name: "save", Title: "ipvsadm -Sn", Preload: true, ReadOnly: true, Floor: FloorList,
			argv:  func(b Binary) []string { return []string{b.Path, "-Sn"} },
			check: func(out []byte, want *Table, _ int) error { return want.CheckLines(out) }},
		{Name: "stats", Title: "ipvsadm -Ln --stats", Preload: true, ReadOnly: true,
			argv:  func(b Binary) []string { return []string{b.Path, "-Ln", "--stats"} },
			check: checkListing("-Ln --stats")},
		{Name: "clear", Title: "ipvsadm -C (full table)", Preload: true, Clears: true,
			argv: func(b Binary) []string { return []string{b.Path, "-C"} }},
		{Name: "restore-full", Title: "ipvsadm-restore < rules (full table)", Preload: true, Stdin: true,
			argv: func(b Binary) []string { return []string{b.Restore} }},
		// The original can only re-apply a file by clearing the table and
		// restoring it; ours can change only what differs.
		{Name: "converge-full", Title: "re-apply the same rules to a full table (ours: ipvsadm-restore --converge; reference: ipvsadm-restore)", Preload: true, Stdin: true,
			argv: func(b Binary) []string {
				if b.Name == ImplOurs {
					return []string{b.Restore, "--converge"}
				}
				return []string{b.Restore}
			}},
		{Name: "conns", Title: "ipvsadm -Lnc", Preload: true, ReadOnly: true, Conns: true, Floor: FloorConns,
			argv:  func(b Binary) []string { return []string{b.Path, "-Lnc"} },
			check: checkConnListing},
	}
}

// SelectOps returns the operations named in the comma-separated list, in
// report order.
func SelectOps(list string) ([]Op, error) {
	want := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var ops []Op
	for _, op := range AllOps() {
		if want[op.Name] {
			ops = append(ops, op)
			delete(want, op.Name)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("unknown operation %q (know restore, list, save, stats, clear, restore-full, converge-full, conns)", n)
	}
	if len(ops) == 0 {
		return nil, fmt.Errorf("no operation selected")
	}
	return ops, nil
}

// checkListing checks a -Ln style listing: the version line, two column
// header lines, then one line per service and destination.
func checkListing(what string) func(out []byte, want *Table, conns int) error {
	return func(out []byte, want *Table, _ int) error {
		n := bytes.Count(out, []byte("\n"))
		if !bytes.HasPrefix(out, []byte("IP Virtual Server version ")) {
			return fmt.Errorf("%s output does not start with the version line: %.80q", what, out)
		}
		if n != 3+len(want.Lines) {
			return fmt.Errorf("%s printed %d lines, want %d (3 header lines, %d services, %d destinations)",
				what, n, 3+len(want.Lines), want.Services, want.Destinations)
		}
		return nil
	}
}
