#!/bin/sh
# install-service.sh: the service half of "make install". Installs
# ipvsadm.service, its helper ipvsadm-service, the settings file and an
# empty rules file of one layout, and the man pages when there are any.
# Settings and rules files that exist are never overwritten.
#
# Everything comes from the environment (the Makefile passes its variables):
#   LAYOUT            debian | redhat
#   DESTDIR           staging root (may be empty)
#   PREFIX            /usr/local by default
#   SBINDIR           where ipvsadm is installed ($PREFIX/sbin)
#   LIBEXECDIR        where the helper goes ($PREFIX/lib/ipvsadm)
#   SYSCONFDIR        /etc
#   SYSTEMD_UNIT_DIR  /lib/systemd/system
#   MANDIR            $PREFIX/share/man
#   MANSRC            man pages to install: MANSRC/*.[1-8] (default: man)
set -e

dist=$(dirname "$0")
: "${PREFIX:=/usr/local}"
: "${SBINDIR:=$PREFIX/sbin}"
: "${LIBEXECDIR:=$PREFIX/lib/ipvsadm}"
: "${SYSCONFDIR:=/etc}"
: "${SYSTEMD_UNIT_DIR:=/lib/systemd/system}"
: "${MANDIR:=$PREFIX/share/man}"
: "${MANSRC:=man}"

case $LAYOUT in
debian)
	settings=$SYSCONFDIR/default/ipvsadm settings_src=$dist/default-ipvsadm settings_mode=0644
	rules=$SYSCONFDIR/ipvsadm.rules rules_mode=0644 rules_text='# ipvsadm.rules'
	;;
redhat)
	settings=$SYSCONFDIR/sysconfig/ipvsadm-config settings_src=$dist/ipvsadm-config settings_mode=0600
	rules=$SYSCONFDIR/sysconfig/ipvsadm rules_mode=0600 rules_text=
	;;
*)
	echo "install-service.sh: LAYOUT must be debian or redhat, not '$LAYOUT'" >&2
	exit 2
	;;
esac
echo "ipvsadm.service: $LAYOUT layout (rules $rules, settings $settings)"

# subst fills in the placeholders of a template.
subst() {
	sed -e "s|@SBINDIR@|$SBINDIR|g" -e "s|@LIBEXECDIR@|$LIBEXECDIR|g" \
		-e "s|@SYSCONFDIR@|$SYSCONFDIR|g" -e "s|@LAYOUT@|$LAYOUT|g" "$1"
}

install -d "$DESTDIR$LIBEXECDIR" "$DESTDIR$SYSTEMD_UNIT_DIR"
subst "$dist/ipvsadm-service.in" >"$DESTDIR$LIBEXECDIR/ipvsadm-service"
chmod 0755 "$DESTDIR$LIBEXECDIR/ipvsadm-service"
subst "$dist/ipvsadm.service.in" >"$DESTDIR$SYSTEMD_UNIT_DIR/ipvsadm.service"
chmod 0644 "$DESTDIR$SYSTEMD_UNIT_DIR/ipvsadm.service"

install -d "$DESTDIR$(dirname "$settings")" "$DESTDIR$(dirname "$rules")"
if [ -e "$DESTDIR$settings" ]; then
	echo "keeping the existing $DESTDIR$settings"
else
	install -m "$settings_mode" "$settings_src" "$DESTDIR$settings"
fi
if [ -e "$DESTDIR$rules" ]; then
	echo "keeping the existing $DESTDIR$rules"
else
	if [ -n "$rules_text" ]; then
		printf '%s\n' "$rules_text" >"$DESTDIR$rules"
	else
		: >"$DESTDIR$rules"
	fi
	chmod "$rules_mode" "$DESTDIR$rules"
fi

# Man pages: the hook for the pages to come (MANSRC/NAME.SECTION).
found=
for page in "$MANSRC"/*.[1-8]; do
	[ -f "$page" ] || continue
	found=1
	section=${page##*.}
	install -d "$DESTDIR$MANDIR/man$section"
	install -m 0644 "$page" "$DESTDIR$MANDIR/man$section/"
done
[ -n "$found" ] || echo "no man pages in $MANSRC/ yet: none installed"
