package procs

import (
	"os"
	"runtime"
	"testing"
)

func TestKeepOneSpare(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	if _, set := os.LookupEnv("GOMAXPROCS"); set {
		t.Skip("GOMAXPROCS is set in the environment")
	}
	runtime.GOMAXPROCS(1)
	KeepOneSpare()
	if got := runtime.GOMAXPROCS(0); got != 2 {
		t.Errorf("GOMAXPROCS %d after KeepOneSpare from 1, want 2", got)
	}
	runtime.GOMAXPROCS(3)
	KeepOneSpare()
	if got := runtime.GOMAXPROCS(0); got != 3 {
		t.Errorf("GOMAXPROCS %d after KeepOneSpare from 3, want 3 kept", got)
	}
}

func TestKeepOneSpareRespectsEnvironment(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	t.Setenv("GOMAXPROCS", "1")
	runtime.GOMAXPROCS(1)
	KeepOneSpare()
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("GOMAXPROCS %d with GOMAXPROCS=1 in the environment, want 1", got)
	}
}
