// Package procs sets how many processors the Go runtime schedules
// goroutines on, for a program that spends its time in long system calls.
package procs

import (
	"os"
	"runtime"
)

// KeepOneSpare makes sure the runtime has a second processor (P) when it
// has only one, unless the GOMAXPROCS environment variable says otherwise.
//
// A goroutine in a system call that lasts longer than about 20 us, such as
// a netlink send carrying a batch of IPVS requests or a read of
// /proc/net/ip_vs, keeps its processor only while another one is idle;
// with a single processor the runtime's monitor takes it away and hands it
// to another thread during every such call, and polls every 20 us while it
// does. On a one-CPU machine that made a 110,000-line restore take about
// twice as long (measured under QEMU on one virtual CPU). An idle second
// processor lets the call keep its own; it stays idle while the program
// runs one goroutine.
func KeepOneSpare() {
	if _, set := os.LookupEnv("GOMAXPROCS"); set {
		return
	}
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
}
