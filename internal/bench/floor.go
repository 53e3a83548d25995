package bench

import (
	"fmt"
	"io"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// Load sends reqs with Client.Batch and returns the first failure, if any.
// It is the floor: the least any restore can cost the kernel.
func Load(c *ipvs.Client, reqs []ipvs.Request) error {
	failed := 0
	var first error
	for _, err := range c.Batch(reqs) {
		if err != nil {
			failed++
			if first == nil {
				first = err
			}
		}
	}
	if first != nil {
		return fmt.Errorf("%d of %d requests failed, the first with: %w", failed, len(reqs), first)
	}
	return nil
}

// Floor is the floor loader's whole job, in the namespace of the calling
// thread: encode the rule set of size (no text: straight from the
// generator), send it with Client.Batch and write FloorOutput to w.
func Floor(size Size, w io.Writer) error {
	start := time.Now()
	reqs := size.Requests()
	encoded := time.Now()
	c, err := ipvs.Dial(nil)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	defer c.Close()
	if err := Load(c, reqs); err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	sent := time.Since(encoded)
	if _, err := fmt.Fprintf(w, "encode_s=%.6f send_s=%.6f\n", encoded.Sub(start).Seconds(), sent.Seconds()); err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	return nil
}

// ParseFloorOutput returns the send time the floor loader printed.
func ParseFloorOutput(out []byte) (send float64, err error) {
	var encode float64
	if _, err := fmt.Sscanf(string(out), "encode_s=%g send_s=%g\n", &encode, &send); err != nil {
		return 0, fmt.Errorf("floor output %.80q: %w", out, err)
	}
	return send, nil
}
