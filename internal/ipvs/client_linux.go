//go:build linux

package ipvs

import (
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// dial opens the generic-netlink socket, in cfg.NetNS if set.
func dial(cfg *Config) (*Client, error) {
	nc, err := netlink.Dial(unix.NETLINK_GENERIC, &netlink.Config{NetNS: cfg.NetNS})
	if err != nil {
		return nil, opError("dial", err)
	}
	c, err := initClient(genetlink.NewConn(nc))
	if err != nil {
		return nil, err // initClient closed nc
	}
	c.nl = nc
	return c, nil
}
