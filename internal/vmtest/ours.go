package vmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BinaryEnv names the environment variable that gives the host path of
// our ipvsadm binary for the VM (make test sets it to the bin/ipvsadm it
// has just built). Unset, the first test package that needs the binary
// builds it into the cache and the others reuse that build.
const BinaryEnv = "IPVSADM_TEST_BINARY"

// OursDir is where WithOurs usually puts our ipvsadm and its two links in
// the guest: off PATH, so that a script calling "ipvsadm" runs the
// reference (/sbin/ipvsadm).
const OursDir = "/opt/ipvsadm-go/bin"

// Personalities are the names our binary answers to (argv[0]).
var Personalities = []string{"ipvsadm", "ipvsadm-save", "ipvsadm-restore"}

// WithOurs puts our ipvsadm into the guest directory dir, with
// ipvsadm-save and ipvsadm-restore as links to it. The binary is the one
// BinaryEnv names, or one built once for all test packages.
func WithOurs(dir string) Option {
	return func(vm *VM) { vm.oursDir = dir }
}

// WithLink puts a symbolic link at guest, pointing at target.
func WithLink(guest, target string) Option {
	return func(vm *VM) {
		if vm.Links == nil {
			vm.Links = map[string]string{}
		}
		vm.Links[guest] = target
	}
}

// addOurs carries out WithOurs: it finds or builds the binary and adds it
// and its links to the VM.
func (vm *VM) addOurs(cache string) error {
	bin, err := oursBinary(cache)
	if err != nil {
		return err
	}
	vm.Files[filepath.Join(vm.oursDir, Personalities[0])] = bin
	for _, name := range Personalities[1:] {
		WithLink(filepath.Join(vm.oursDir, name), Personalities[0])(vm)
	}
	return nil
}

// oursBinary returns the host path of our ipvsadm: the one BinaryEnv
// names, or else a build in cache/ours. Test packages run in parallel
// take turns building there, so the Go build cache compiles the program
// once and every later build is only a check that it is up to date.
func oursBinary(cache string) (string, error) {
	if bin := os.Getenv(BinaryEnv); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("vmtest: %s: %w", BinaryEnv, err)
		}
		return bin, nil
	}
	dir := filepath.Join(cache, "ours")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("vmtest: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return "", err
	}
	defer unlock()
	// Built beside the shared path and renamed onto it, so that a package
	// copying the previous build into its VM never reads a file half
	// written.
	bin := filepath.Join(dir, "ipvsadm")
	tmp := fmt.Sprintf("%s.%d", bin, os.Getpid())
	cmd := exec.Command("go", "build", "-trimpath", "-o", tmp, "github.com/ipvsadm-go/ipvsadm/cmd/ipvsadm")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("vmtest: building ipvsadm: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", fmt.Errorf("vmtest: %w", err)
	}
	return bin, nil
}
