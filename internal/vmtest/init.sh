#!/bin/busybox sh
# /init of the test VM: mount the basics, load IPVS, run /vmtest/run.sh with
# its output on the second serial port (the host reads it there), report its
# exit status on a marker line, power off.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# /tmp and /run stay on the initramfs (already in memory): host files put
# into the guest at their host paths may live there.
chmod 1777 /tmp
out=/dev/ttyS1
stty -F $out raw -echo 2>/dev/null
release=$(cat /vmtest/release)
for m in $(cat /vmtest/modules); do
	insmod /lib/modules/$release/kernel/$m.ko || echo "vmtest-init: insmod $m failed" >$out
done
ip link set lo up
hostname vmtest
export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin VMTEST_GUEST=1
mkdir -p $HOME
sh /vmtest/run.sh >$out 2>&1 </dev/null
echo "@@VMTEST-EXIT $?" >$out
sync
poweroff -f
