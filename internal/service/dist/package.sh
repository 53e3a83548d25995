#!/bin/sh
# package.sh: what "make deb" and "make rpm" run. Builds, in PKG_OUT
# (default build), the package that replaces the distribution's ipvsadm:
#
#   deb  ipvsadm-go_VERSION_ARCH.deb with dpkg-deb: "make install
#        LAYOUT=debian PREFIX=/usr SBINDIR=/sbin" (the paths of Debian's
#        ipvsadm), gzipped man pages, /usr/share/doc/ipvsadm-go, the
#        lintian overrides, the control files of deb/.
#   rpm  ipvsadm-go-VERSION-1.ARCH.rpm with rpmbuild: "make install
#        LAYOUT=redhat PREFIX=/usr" and rpm/ipvsadm-go.spec.in.
#
# VERSION is the ipvsadm version this build is compatible with (the one
# "ipvsadm -v" prints, from internal/rule/usage.go), "+go" and this
# project's version: internal/service/dist/VERSION, or PKG_VERSION when
# set. It is run from the module root; MAKE is the make to call.
#
# Environment: PKG_OUT, PKG_VERSION, PKG_MAINTAINER (the Maintainer field
# and changelog signature), SOURCE_DATE_EPOCH (the changelog's date and
# the files' times; default: the last commit's time).
set -eu
umask 022

format=${1:-}
dist=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$dist/../../.." && pwd)
make=${MAKE:-make}
out=${PKG_OUT:-build}
mkdir -p "$out"
out=$(cd "$out" && pwd)

die() {
	echo "package.sh: $*" >&2
	exit 1
}

compat=$(sed -n 's/^const VersionLine = "ipvsadm v\([0-9][0-9.]*\) .*/\1/p' "$root/internal/rule/usage.go")
[ -n "$compat" ] || die "no ipvsadm version in internal/rule/usage.go"
own=${PKG_VERSION:-$(cat "$dist/VERSION")}
case $own in
[0-9]*) ;;
*) die "project version '$own' must start with a digit" ;;
esac
version=$compat+go$own
maintainer=${PKG_MAINTAINER:-ipvsadm-go maintainers <maintainers@ipvsadm-go.invalid>}
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH=$epoch

goarch=$(go env GOARCH)
case $goarch in
amd64) debarch=amd64 rpmarch=x86_64 ;;
arm64) debarch=arm64 rpmarch=aarch64 ;;
386) debarch=i386 rpmarch=i686 ;;
*) debarch=$goarch rpmarch=$goarch ;;
esac

# subst fills in the placeholders of a template.
subst() {
	sed -e "s|@VERSION@|$version|g" -e "s|@COMPAT@|$compat|g" \
		-e "s|@MAINTAINER@|$maintainer|g" -e "s|@DEBARCH@|$debarch|g" \
		-e "s|@RPMARCH@|$rpmarch|g" -e "s|@STAGE@|${stage:-}|g" \
		-e "s|@YEAR@|$(date -u +%Y -d "@$epoch")|g" \
		-e "s|@DATE@|$(LC_ALL=C date -u -R -d "@$epoch")|g" \
		-e "s|@RPMDATE@|$(LC_ALL=C date -u '+%a %b %d %Y' -d "@$epoch")|g" "$1"
}

# stage_install runs make install into a fresh $stage with the given
# variables and SBINDIR, strips the binary as dh_strip does, gzips the man
# pages and adds the copyright file.
stage_install() {
	sbindir=$1
	shift
	rm -rf "$stage"
	"$make" --no-print-directory -C "$root" install DESTDIR="$stage" PREFIX=/usr SBINDIR="$sbindir" "$@" >/dev/null
	strip --remove-section=.comment --remove-section=.note "$stage$sbindir/ipvsadm"
	gzip -9n "$stage"/usr/share/man/man8/*.8
	install -d "$stage/usr/share/doc/ipvsadm-go"
	subst "$dist/copyright.in" >"$stage/usr/share/doc/ipvsadm-go/copyright"
}

# settle gives every file of the stage the same time, for reproducible
# packages.
settle() {
	find "$stage" -exec touch -h -d "@$epoch" {} +
}

case $format in
deb)
	stage=$out/deb-stage
	stage_install /sbin LAYOUT=debian
	subst "$dist/deb/changelog.in" | gzip -9n >"$stage/usr/share/doc/ipvsadm-go/changelog.gz"
	install -d "$stage/usr/share/lintian/overrides"
	install -m 0644 "$dist/deb/lintian-overrides" "$stage/usr/share/lintian/overrides/ipvsadm-go"
	install -d "$stage/DEBIAN"
	(cd "$stage" && find etc -type f | sort | sed 's|^|/|') >"$stage/DEBIAN/conffiles"
	(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | sort | xargs md5sum) >"$stage/DEBIAN/md5sums"
	size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
	subst "$dist/deb/control.in" | sed "s|@INSTALLED_SIZE@|$size|" >"$stage/DEBIAN/control"
	for s in postinst prerm postrm; do
		install -m 0755 "$dist/deb/$s" "$stage/DEBIAN/$s"
	done
	settle
	pkg=$out/ipvsadm-go_${version}_$debarch.deb
	dpkg-deb --root-owner-group -Zxz --build "$stage" "$pkg" >/dev/null
	;;
rpm)
	command -v rpmbuild >/dev/null || die "rpmbuild not found: install the rpm package (make deps as root does)"
	stage=$out/rpm-stage
	stage_install /usr/sbin LAYOUT=redhat SYSTEMD_UNIT_DIR=/usr/lib/systemd/system
	settle
	top=$out/rpmbuild
	rm -rf "$top"
	mkdir -p "$top/SPECS"
	subst "$dist/rpm/ipvsadm-go.spec.in" >"$top/SPECS/ipvsadm-go.spec"
	rpmbuild --quiet -bb --define "_topdir $top" --define "_rpmdir $out" \
		--define '_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm' \
		--target "$rpmarch" "$top/SPECS/ipvsadm-go.spec"
	pkg=$out/ipvsadm-go-$version-1.$rpmarch.rpm
	;;
*)
	die "usage: package.sh deb|rpm"
	;;
esac
rm -rf "$stage"
echo "$pkg"
