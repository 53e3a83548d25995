# The seed walkthrough, run by `make demo` on a real IPVS kernel: in the VM
# (our binary first on PATH, Debian's ipvsadm at /sbin/ipvsadm) or in a
# throwaway network namespace on a host that has IPVS.
set -e
say() { printf '\n$ %s\n' "$*"; }
run() { say "$@"; "$@"; }

run ipvsadm -A -t 192.168.0.18:80 -s rr
run ipvsadm -a -t 192.168.0.18:80 -r 10.0.0.28:80 -m
run ipvsadm -a -t 192.168.0.18:80 -r 10.0.0.38:80 -m
run ipvsadm -Ln
say "ipvsadm-save -n > /tmp/rules; cat /tmp/rules"
ipvsadm-save -n > /tmp/rules
cat /tmp/rules
run ipvsadm -C
run ipvsadm -Ln
say "ipvsadm-restore < /tmp/rules"
ipvsadm-restore < /tmp/rules
run ipvsadm -Ln

if [ -x /sbin/ipvsadm ] && [ "$(command -v ipvsadm)" != /sbin/ipvsadm ]; then
	printf '\n== the same table through Debian'"'"'s ipvsadm 1.31 (/sbin/ipvsadm -Ln):\n'
	/sbin/ipvsadm -Ln > /tmp/reference.txt
	cat /tmp/reference.txt
	ipvsadm -Ln > /tmp/ours.txt
	if cmp -s /tmp/reference.txt /tmp/ours.txt; then
		echo "== identical bytes: ours ($(command -v ipvsadm)) and the reference"
	else
		echo "== DIFFERENT from the reference:"; diff /tmp/reference.txt /tmp/ours.txt; exit 1
	fi
fi
