package vmtest

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// SeedEnv names the environment variable that fixes the seed of the
// random tests (Seed). Main passes it on into the VM.
const SeedEnv = "IPVSADM_TEST_SEED"

// Seed returns the seed of a random test: the one SeedEnv gives, or else
// one from the clock. It logs the seed with the way to run the test again
// with it, which go test shows when the test fails (and with -v).
func Seed(t testing.TB) uint64 {
	t.Helper()
	s, err := strconv.ParseUint(os.Getenv(SeedEnv), 10, 64)
	if err != nil || s == 0 {
		if v := os.Getenv(SeedEnv); v != "" {
			t.Fatalf("vmtest: %s=%q is not a positive integer", SeedEnv, v)
		}
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with %s=%d)", s, SeedEnv, s)
	return s
}
