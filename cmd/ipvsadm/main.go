// Command ipvsadm administers the Linux kernel's IP Virtual Server: a
// drop-in replacement for ipvsadm 1.31. Installed (or linked) as
// ipvsadm-save or ipvsadm-restore it behaves as those.
package main

import (
	"os"

	"github.com/ipvsadm-go/ipvsadm/internal/cli"
	"github.com/ipvsadm-go/ipvsadm/internal/procs"
)

func main() {
	procs.KeepOneSpare()
	cli.KeepSIGPIPEIgnored()
	os.Exit(cli.Main(cli.Env{
		Args:      os.Args,
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		LookupEnv: os.LookupEnv,
	}))
}
