// Package service is the systemd integration of ipvsadm: the files that
// "make install" lays out so that installing this project replaces the
// distribution's ipvsadm package, and Go support for their tests.
//
// The files live in dist/:
//
//   - ipvsadm.service.in: the unit (oneshot, remains active after exit);
//     every action runs the helper.
//   - ipvsadm-service.in: the helper, a POSIX sh script (dash and busybox
//     sh) with start, stop, restart, reload, status, save and check, for
//     the Debian layout (/etc/ipvsadm.rules, /etc/default/ipvsadm) and the
//     Red Hat layout (/etc/sysconfig/ipvsadm, /etc/sysconfig/ipvsadm-config).
//   - default-ipvsadm, ipvsadm-config: the settings files of the two
//     layouts, installed only where none exists.
//   - install-service.sh: what "make install-service" (part of "make
//     install") runs.
//   - package.sh, VERSION, copyright.in, deb/, rpm/: what "make deb" and
//     "make rpm" build the packages from (see BuildPackage).
//
// The host tests of this package install the files and run
// systemd-analyze verify on the unit; servicetest runs the unit's commands
// against the real kernel in the test VM, those of make deb's package too;
// packagetest checks the packages and installs them into scratch roots.
package service

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// ModuleRoot returns the directory of the module's go.mod, found from the
// location of this source file.
func ModuleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("service: cannot locate the source tree")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("service: no go.mod above %s: %w", file, err)
	}
	return root, nil
}

// Make runs make in the module root with the given target and variable
// assignments (such as "DESTDIR=/tmp/x") and returns its combined output.
func Make(target string, vars ...string) ([]byte, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--no-print-directory", "-C", root, target}, vars...)
	out, err := exec.Command("make", args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("make %s: %w\n%s", target, err, out)
	}
	return out, nil
}

// BuildPackage runs "make deb" or "make rpm" (format) with PKG_OUT=out
// and, when version is not empty, PKG_VERSION=version (this project's part
// of the package version), and returns the path of the package it built.
func BuildPackage(format, out, version string) (string, error) {
	vars := []string{"PKG_OUT=" + out}
	if version != "" {
		vars = append(vars, "PKG_VERSION="+version)
	}
	b, err := Make(format, vars...)
	if err != nil {
		return "", err
	}
	text := strings.TrimSpace(string(b))
	pkg := text[strings.LastIndexByte(text, '\n')+1:]
	if _, err := os.Stat(pkg); err != nil {
		return "", fmt.Errorf("make %s: no package at its last line %q: %w\n%s", format, pkg, err, b)
	}
	return pkg, nil
}
