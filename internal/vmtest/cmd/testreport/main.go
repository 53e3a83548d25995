// Command testreport reads `go test -json` output on standard input, prints
// the tests' output as `go test -v` would, and ends with a summary: the
// counts per package, where each package ran (on the host, or inside the
// VM against the real kernel), and a closing "N passed, M failed" line. It
// exits non-zero when a test or a package failed, or when no test ran.
//
// Its input may hold several runs one after the other (the suite on one
// kernel, then packages on another): a package that runs again on another
// kernel is counted on a line of its own, named with the kernel.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

type pkgResult struct {
	passed, failed, skipped int
	failedPkg               bool
	vmKernel                string
	failures                []string
}

const vmLine = "vmtest: running inside the VM, kernel "

func main() {
	// Results are keyed by package, and by package and kernel for a
	// package's runs on a kernel other than the first it ran on; current
	// is each package's key for the events that come now.
	pkgs := map[string]*pkgResult{}
	current := map[string]string{}
	get := func(name string) *pkgResult {
		key, ok := current[name]
		if !ok {
			key, current[name] = name, name
		}
		p := pkgs[key]
		if p == nil {
			p = &pkgResult{}
			pkgs[key] = p
		}
		return p
	}
	onKernel := func(name, kernel string) *pkgResult {
		if p := get(name); p.vmKernel == "" || p.vmKernel == kernel {
			p.vmKernel = kernel
			return p
		}
		key := name + " (" + kernel + ")"
		current[name] = key
		p := get(name)
		p.vmKernel = kernel
		return p
	}
	out := bufio.NewWriter(os.Stdout)
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			var e event
			if json.Unmarshal(line, &e) != nil {
				out.Write(line) // not JSON: a build error, for instance
			} else {
				p := get(e.Package)
				switch e.Action {
				case "output":
					out.WriteString(e.Output)
					if i := strings.Index(e.Output, vmLine); i >= 0 {
						onKernel(e.Package, strings.TrimSpace(e.Output[i+len(vmLine):]))
					}
				case "pass":
					if e.Test != "" {
						p.passed++
					}
				case "fail":
					if e.Test != "" {
						p.failed++
						p.failures = append(p.failures, e.Test)
					} else {
						p.failedPkg = true
					}
				case "skip":
					if e.Test != "" {
						p.skipped++
					}
				}
			}
		}
		if err == io.EOF {
			break
		} else if err != nil {
			fmt.Fprintln(out, "testreport:", err)
			break
		}
	}

	names := make([]string, 0, len(pkgs))
	for n := range pkgs {
		if n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var total, vm pkgResult
	perKernel := map[string]*pkgResult{}
	var kernels []string
	width := 60
	for _, n := range names {
		width = max(width, len(n))
	}
	fmt.Fprintf(out, "\n== test summary ==\n%-*s %7s %7s %7s  %s\n", width, "package", "passed", "failed", "skipped", "ran on")
	bad := false
	for _, n := range names {
		p := pkgs[n]
		if p.passed+p.failed+p.skipped == 0 && !p.failedPkg {
			continue // no test files
		}
		where := "host"
		if p.vmKernel != "" {
			where = "VM, real IPVS kernel " + p.vmKernel
			vm.passed += p.passed
			vm.failed += p.failed
			vm.skipped += p.skipped
			k := perKernel[p.vmKernel]
			if k == nil {
				k = &pkgResult{}
				perKernel[p.vmKernel] = k
				kernels = append(kernels, p.vmKernel)
			}
			k.passed += p.passed
			k.failed += p.failed
			k.skipped += p.skipped
		}
		status := ""
		if p.failedPkg {
			status = "  FAILED"
			bad = true
		}
		fmt.Fprintf(out, "%-*s %7d %7d %7d  %s%s\n", width, n, p.passed, p.failed, p.skipped, where, status)
		for _, f := range p.failures {
			fmt.Fprintf(out, "    FAIL %s\n", f)
		}
		total.passed += p.passed
		total.failed += p.failed
		total.skipped += p.skipped
	}
	sort.Strings(kernels)
	for _, k := range kernels {
		r := perKernel[k]
		fmt.Fprintf(out, "tests inside the VM on kernel %s: %d passed, %d failed, %d skipped\n", k, r.passed, r.failed, r.skipped)
	}
	fmt.Fprintf(out, "tests inside the VM against the real kernel: %d passed, %d failed, %d skipped\n", vm.passed, vm.failed, vm.skipped)
	fmt.Fprintf(out, "%d passed, %d failed, %d skipped\n", total.passed, total.failed, total.skipped)
	out.Flush()
	if bad || total.failed > 0 || total.passed == 0 {
		os.Exit(1)
	}
}
