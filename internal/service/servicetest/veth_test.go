package servicetest

import (
	"encoding/binary"
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// vethInfoPeer is VETH_INFO_PEER of linux/veth.h: the peer's ifinfomsg
// and attributes inside IFLA_INFO_DATA.
const vethInfoPeer = 1

// addVeth creates a veth pair with one end, name, in ns and the other,
// peer, in peerNS (busybox ip cannot move an interface between
// namespaces, so the pair is made with rtnetlink: RTM_NEWLINK in ns, the
// peer's IFLA_NET_NS_FD naming peerNS).
func addVeth(ns *vmtest.NetNS, name string, peerNS *vmtest.NetNS, peer string) error {
	c, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: ns.FD()})
	if err != nil {
		return fmt.Errorf("rtnetlink: %w", err)
	}
	defer c.Close()

	ifinfo := make([]byte, unix.SizeofIfInfomsg) // AF_UNSPEC, no index, no flags
	pae := netlink.NewAttributeEncoder()
	pae.String(unix.IFLA_IFNAME, peer)
	pae.Uint32(unix.IFLA_NET_NS_FD, uint32(peerNS.FD()))
	peerAttrs, err := pae.Encode()
	if err != nil {
		return err
	}
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.NativeEndian
	ae.String(unix.IFLA_IFNAME, name)
	ae.Nested(unix.IFLA_LINKINFO, func(li *netlink.AttributeEncoder) error {
		li.String(unix.IFLA_INFO_KIND, "veth")
		li.Nested(unix.IFLA_INFO_DATA, func(data *netlink.AttributeEncoder) error {
			data.Bytes(vethInfoPeer, append(append([]byte{}, ifinfo...), peerAttrs...))
			return nil
		})
		return nil
	})
	attrs, err := ae.Encode()
	if err != nil {
		return err
	}
	_, err = c.Execute(netlink.Message{
		Header: netlink.Header{
			Type:  unix.RTM_NEWLINK,
			Flags: netlink.Request | netlink.Acknowledge | netlink.Create | netlink.Excl,
		},
		Data: append(ifinfo, attrs...),
	})
	if err != nil {
		return fmt.Errorf("creating veth %s/%s: %w", name, peer, err)
	}
	return nil
}
