// Package jsonlist is the JSON form of ipvsadm's listings, asked for with
// the --json option: the schema (as Go types) and its encoding.
//
// # Documents
//
// Every listing prints one JSON object, followed by a newline, indented
// with two blanks (the layout is not part of the schema). Its first two
// members are "schema", which names the kind of document, and "version",
// the schema version (Version, now 1). Members are only ever added within
// a version; a change that could break a reader (a member removed,
// renamed or given another type or meaning) increments the version.
// Member names are snake_case. Arrays are never null: an empty table is
// an empty array.
//
//	listing                              schema                    array member
//	-L, -l (also with -t, -u, -f)        "ipvsadm-go/services"     "services"
//	-L -c                                "ipvsadm-go/connections"  "connections"
//	-L --timeout                         "ipvsadm-go/timeout"      (object "timeout")
//	-L --daemon                          "ipvsadm-go/daemons"      "daemons"
//
// Output is always numeric: addresses are strings in their standard text
// (dotted quad for IPv4, RFC 5952 for IPv6), ports and counters are JSON
// numbers, and no name is ever looked up, so -n makes no difference.
// --exact makes none either: every number is exact. All counters are the
// kernel's 64-bit values, printed in full (up to 18446744073709551615;
// JavaScript readers need a parser that keeps such integers exact).
//
// Services and destinations are in the order of the text listing (the
// original's sort, or the kernel's order with --nosort); connections are
// in the kernel's order.
//
// # Services ("ipvsadm-go/services")
//
//	schema, version
//	ipvs        object: version (string, "1.2.1"), conn_table_size (number)
//	services    array of service objects; with -t/-u/-f just that one
//
// A service object:
//
//	family        "inet" or "inet6"
//	fwmark        number; only for firewall-mark services (-f), which have
//	              no protocol, address and port
//	protocol      "tcp", "udp", "sctp"; only for services that are not fwmark
//	              services (another protocol would show as its number,
//	              in decimal, as a string)
//	address       string; only with protocol
//	port          number (0 for a persistent "any port" service); only with protocol
//	scheduler     string: the kernel's name for it, such as "wlc": rr, wrr,
//	              lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos
//	              (Linux 6.7 and later), or any other the kernel has
//	flags         array of strings: "persistent", "one-packet", and the
//	              scheduler flags by the names -b takes ("sh-fallback",
//	              "sh-port", "mh-fallback", "mh-port", else "flag-1",
//	              "flag-2", "flag-3"); any other bit as hexadecimal ("0x40").
//	              The kernel-internal "hashed" bit is left out.
//	persistence   object, only for persistent services:
//	                timeout        number, seconds
//	                netmask        string: the persistence mask, in the
//	                               service's family ("255.255.255.0",
//	                               "ffff:ffff:ffff:ffff::")
//	                prefix_length  number: the mask's length (absent for a
//	                               non-contiguous IPv4 mask)
//	one_packet    boolean (-o, --ops)
//	pe            string, the persistence engine ("sip"); absent when none
//	stats         stats object; only with --stats
//	rates         rates object; only with --rate
//	destinations  array of destination objects (real servers)
//
// A destination object:
//
//	family            "inet" or "inet6" (differs from the service's only
//	                  for tunnelling destinations)
//	address           string
//	port              number
//	forward           "masq", "local", "tunnel" or "route" (another value
//	                  as "method(N)")
//	weight            number
//	thresholds        object: upper, lower (numbers; 0 means no limit)
//	active_conns      number
//	inactive_conns    number
//	persistent_conns  number
//	tunnel            object, only when forward is "tunnel":
//	                    type   "ipip", "gue" or "gre"
//	                    port   number (the GUE port; 0 for the others)
//	                    flags  array: "csum", "remcsum" (empty: no checksum)
//	stats             stats object; only with --stats
//	rates             rates object; only with --rate
//
// Thresholds, persistent connections and tunnel settings are always
// present, so --thresholds, --persistent-conn and --tun-info change
// nothing; only --stats and --rate add members.
//
// A stats object has the counters conns, in_pkts, out_pkts, in_bytes and
// out_bytes; a rates object the estimates cps, in_pps, out_pps, in_bps and
// out_bps (per second). All are numbers.
//
// # Connections ("ipvsadm-go/connections")
//
//	schema, version
//	connections  array of connection objects, one per row of
//	             /proc/net/ip_vs_conn, written as they are read
//
// A connection object: protocol (the kernel's protocol name in lower case:
// "tcp", "udp", "sctp", "ip", ...), client_address, client_port,
// virtual_address, virtual_port, destination_address, destination_port,
// state (the kernel's name, such as "ESTABLISHED"), expires (seconds
// left), and pe_name and pe_data for connections with persistence-engine
// data (absent otherwise). --persistent-conn changes nothing.
//
// # Timeouts ("ipvsadm-go/timeout")
//
//	schema, version
//	timeout  object: tcp, tcp_fin, udp (numbers, seconds)
//
// # Daemons ("ipvsadm-go/daemons")
//
//	schema, version
//	daemons  array of objects: state ("master" or "backup"), interface
//	         (string), sync_id, max_len, port, ttl (numbers), group
//	         (string, the multicast group; absent when the kernel reports
//	         none); as in the text listing, an entry whose state is
//	         neither is left out, and one that is both is "master"
//
// # Errors
//
// A listing that fails before any output (a missing service, a kernel
// error, /proc/net/ip_vs_conn unreadable) prints nothing on standard
// output and fails as the text listing does: same message on standard
// error, same exit status. A listing that fails after its document was
// begun (a service deleted while the listing ran) closes the array and
// ends the document with an "error" member holding the message, so the
// output is still valid JSON; the exit status is that of the text listing
// (1). A document without "error" is complete.
//
// # Example
//
// ipvsadm -Ln --stats --json after four connection attempts to a NAT
// service (from the VM test TestJSONTraffic; one of its two servers shown):
//
//	{
//	  "schema": "ipvsadm-go/services",
//	  "version": 1,
//	  "ipvs": {
//	    "version": "1.2.1",
//	    "conn_table_size": 4096
//	  },
//	  "services": [
//	    {
//	      "family": "inet",
//	      "protocol": "tcp",
//	      "address": "10.9.9.9",
//	      "port": 80,
//	      "scheduler": "rr",
//	      "flags": [],
//	      "one_packet": false,
//	      "stats": {
//	        "conns": 4,
//	        "in_pkts": 8,
//	        "out_pkts": 0,
//	        "in_bytes": 480,
//	        "out_bytes": 0
//	      },
//	      "destinations": [
//	        {
//	          "family": "inet",
//	          "address": "10.9.0.2",
//	          "port": 80,
//	          "forward": "masq",
//	          "weight": 1,
//	          "thresholds": {
//	            "upper": 0,
//	            "lower": 0
//	          },
//	          "active_conns": 2,
//	          "inactive_conns": 0,
//	          "persistent_conns": 0,
//	          "stats": {
//	            "conns": 2,
//	            "in_pkts": 4,
//	            "out_pkts": 0,
//	            "in_bytes": 240,
//	            "out_bytes": 0
//	          }
//	        }
//	      ]
//	    }
//	  ]
//	}
//
// A persistent fwmark service (-A -f 7 -s lc -p 300 -M 255.255.255.0)
// with a GUE tunnelling server, without --stats:
//
//	{
//	  "family": "inet",
//	  "fwmark": 7,
//	  "scheduler": "lc",
//	  "flags": [
//	    "persistent"
//	  ],
//	  "persistence": {
//	    "timeout": 300,
//	    "netmask": "255.255.255.0",
//	    "prefix_length": 24
//	  },
//	  "one_packet": false,
//	  "destinations": [
//	    {
//	      "family": "inet",
//	      "address": "10.0.2.1",
//	      "port": 0,
//	      "forward": "tunnel",
//	      "weight": 1,
//	      "thresholds": {
//	        "upper": 0,
//	        "lower": 0
//	      },
//	      "active_conns": 0,
//	      "inactive_conns": 0,
//	      "persistent_conns": 0,
//	      "tunnel": {
//	        "type": "gue",
//	        "port": 6080,
//	        "flags": [
//	          "csum"
//	        ]
//	      }
//	    }
//	  ]
//	}
package jsonlist
