//go:build !linux

package ipvs

// dial fails: IPVS exists only on Linux.
func dial(*Config) (*Client, error) {
	return nil, &Error{Op: "dial", Err: ErrNotSupported}
}
