#!/usr/bin/env bash
# t0920-deb.sh - `make deb`: the packages build (dpkg-deb, dpkg-shlibdeps),
# lintian finds nothing at any level, the core depends on libyaml and
# jansson only, vmrecon installs with dpkg alone and then with its module
# packages, runs from /usr/bin (version, a sim diff, the examples), loads
# its modules and runs its git helper from /usr/lib/vmrecon (the trust walk
# of schema/util/trust.h), and a purge leaves no file behind.  Needs root
# (dpkg -i) and a machine where vmrecon is not installed already.
#@ exclusive: installs and purges packages with dpkg (its lock, /usr/bin/vmrecon, /usr/lib/vmrecon)
#@ full-only: builds four packages and runs lintian on them
#@ no-san: installs the packaged release build, never the sanitizer build
. "$(dirname "$0")/../lib.sh"

# ---- make install installs no package: it names the missing ones ----
mkdir -p "$T/fake"
cat >"$T/fake/dpkg-query" <<'SH'
#!/bin/sh
# stand-in: libyaml-dev is not installed, everything else is
for p; do :; done
[ "$p" = libyaml-dev ] && { echo "unknown ok not-installed"; exit 1; }
echo "install ok installed"
SH
printf '#!/bin/sh
echo "$0 $*" >>"%s/apt.log"
' "$T" >"$T/fake/apt-get"
cp "$T/fake/apt-get" "$T/fake/sudo"
chmod +x "$T/fake/"*
trusted_tmp
run env PATH="$T/fake:$PATH" make -C "$VR_TOP" --no-print-directory install \
	PREFIX=/usr DESTDIR="$TT/root"
expect_rc 2 "make install with a build package missing stops"
expect_in "$T/out" "missing Debian packages: libyaml-dev" "and names it"
[ ! -e "$T/apt.log" ] && ok "without running apt-get or sudo" || notok "it ran: $(cat "$T/apt.log")"
run env PATH="$T/fake:$PATH" make -C "$VR_TOP" --no-print-directory deps
[ -s "$T/apt.log" ] && ok "(make deps, by contrast, does install: the stand-in apt-get ran)" ||
	notok "make deps did not call apt-get"
run make -C "$VR_TOP" --no-print-directory install PREFIX=/usr DESTDIR="$TT/root"
expect_rc 0 "make install with everything there"
run "$TT/root/usr/bin/vmrecon" version -v
expect_in "$T/out" "$TT/root/usr/bin/../lib/vmrecon/vmrecon-http.so" \
	"the installed tree finds its modules beside its binary"
expect_not_in "$T/out" "refused" "and loads them"

[ "$(id -u)" = 0 ] || skip_all "the package test installs with dpkg: it needs root"
for t in dpkg-deb dpkg-shlibdeps dpkg-gencontrol lintian; do
	command -v "$t" >/dev/null ||
		skip_all "no $t (make test installs dpkg-dev and lintian)"
done
if dpkg-query -W -f='${Status}\n' vmrecon vmrecon-git vmrecon-http \
	vmrecon-libvirt 2>/dev/null | grep -q ' installed' ||
	[ -e /usr/bin/vmrecon ] || [ -e /usr/lib/vmrecon ]; then
	skip_all "vmrecon is installed on this machine already: not touching it"
fi
PKGS="vmrecon-libvirt vmrecon-http vmrecon-git vmrecon"
installed=0
purge() { dpkg --purge $PKGS >"$T/purge.log" 2>&1; }
trap '[ $installed = 1 ] && purge; _vr_exit' EXIT

# dpkg takes its lock; wait for another dpkg or apt to end rather than fail
wait_dpkg() {
	local n=0
	while pgrep -x dpkg >/dev/null || pgrep -x apt-get >/dev/null ||
		pgrep -x apt >/dev/null; do
		[ $n -ge 600 ] && return 1
		sleep 1
		n=$((n + 1))
	done
}

# ---- build and lint ----
run make -C "$VR_TOP" --no-print-directory deb
expect_rc 0 "make deb"
D=$VR_TOP/build/deb/debs
ls "$D"/vmrecon_*.deb "$D"/vmrecon-git_*.deb "$D"/vmrecon-http_*.deb >/dev/null 2>&1 &&
	ok "it made vmrecon, vmrecon-git and vmrecon-http" || {
	notok "no packages in $D: $(tail -5 "$T/out" "$T/err")"
	exit 1
}
run lintian --tag-display-limit 0 -I -E --pedantic "$D"/*.deb
expect_eq "$(grep -E '^[EWIPX]: ' "$T/out" | head -5)" "" \
	"lintian: no error, warning, info, pedantic or experimental tag (overrides say why for two)"
deps=$(dpkg-deb -f "$D"/vmrecon_*.deb Depends)
case $deps in
*libyaml*libjansson*|*libjansson*libyaml*) ok "vmrecon depends on libyaml and jansson: $deps" ;;
*) notok "vmrecon's Depends: $deps" ;;
esac
echo "$deps" | grep -Eq 'libvirt|libgit2|libcurl|libssl|libxml2' &&
	notok "the core depends on a heavy library: $deps" ||
	ok "and on none of libvirt, libgit2, libcurl (computed by dpkg-shlibdeps)"
version=$(cat "$VR_TOP/reconciler/VERSION")
for p in vmrecon-git vmrecon-http; do
	expect_in <(dpkg-deb -f "$D/${p}_"*.deb Depends) "vmrecon (= $version)" \
		"$p depends on exactly this vmrecon (a module of another version is refused)"
done
expect_in <(dpkg-deb -f "$D"/vmrecon-git_*.deb Depends) "libgit2" "vmrecon-git carries libgit2"
expect_in <(dpkg-deb -f "$D"/vmrecon-http_*.deb Depends) "libcurl" "vmrecon-http carries libcurl"

# ---- install: the core alone, then the modules ----
snap() { # the files a vmrecon package could touch, one a line (not
	# man-db's cat pages, /var/cache/man: man's own cache, made when
	# systemd-analyze verify formats the unit's man: pages, and aged out
	# by man-db)
	{
		find /usr /etc /lib /var/lib /var/cache -xdev -path /var/cache/man \
			-prune -o -path '*vmrecon*' -print 2>/dev/null
		ls -a /usr/bin /usr/share/man/man1 /usr/share/man/man5 /usr/share/bash-completion/completions \
			/lib/systemd/system /usr/share/doc /usr/share/lintian/overrides \
			/var/lib/dpkg/info 2>/dev/null
	} | LC_ALL=C sort
}
snap >"$T/before"
wait_dpkg || skip_all "dpkg or apt ran for 10 minutes: cannot install now"
installed=1
run dpkg -i "$D"/vmrecon_*.deb
expect_rc 0 "dpkg -i vmrecon alone: its dependencies are the core's"
run /usr/bin/vmrecon version
expect_rc 0 "/usr/bin/vmrecon version"
expect_in "$T/out" "vmrecon $version" "names its version"
expect_in "$T/out" "http     missing" "without vmrecon-http the module is missing, and says so"
run dpkg -i "$D"/*.deb
expect_rc 0 "dpkg -i of every package"

# ---- run from /usr/bin, modules and helper from /usr/lib/vmrecon ----
run /usr/bin/vmrecon version
expect_in "$T/out" "  http     /usr/bin/../lib/vmrecon/vmrecon-http.so (" \
	"the module is found in /usr/lib/vmrecon, beside /usr/bin"
expect_not_in "$T/out" "refused" "and none is refused by the trust walk"
run /usr/bin/vmrecon version -v
expect_in "$T/out" "vmrecon-http.so (https sources, --notify, --commit-status): libcurl " \
	"version -v loads the http module from /usr/lib: its libcurl answers"
expect_in "$T/out" "vmrecon-git-helper (watch): libgit2 " "and runs the git helper: its libgit2 answers"
EX=/usr/share/doc/vmrecon/examples
run env -u VMRECON_BACKEND /usr/bin/vmrecon diff -f "$EX/a2-dda.yaml" --state-dir "$T/s"
expect_rc 2 "a sim diff of the installed example"
expect_in "$T/err" "this is the simulated host in $T/s/sim.json" "with the note that it is the simulated host"
run env VMRECON=/usr/bin/vmrecon sh "$EX/saved-plan.sh" "$T/plan"
expect_rc 0 "the installed saved-plan example runs"
run env VMRECON_CONFIG="$EX/contexts/config.yaml" /usr/bin/vmrecon config get-contexts
expect_in "$T/out" "lab-qemu" "the installed config example loads (root-owned: trusted)"
SRV=$T/srv.git W=$T/w
git_fixture "$SRV" "$W"
mkdir -p "$W/hosts" && cp "$EX/a2-dda.yaml" "$W/hosts/a.yaml"
git -C "$W" add -A && git -C "$W" commit -qm a && git -C "$W" push -q "file://$SRV" HEAD:main
run /usr/bin/vmrecon watch --once --repo "file://$SRV" --path hosts/a.yaml \
	--state-dir "$T/w-s" --backend "sim:$T/w-s/sim.json"
expect_rc 0 "watch --once from /usr/bin, through /usr/lib/vmrecon/vmrecon-git-helper"
expect_eq "$(man -w vmrecon 2>/dev/null)" /usr/share/man/man1/vmrecon.1.gz "man finds vmrecon(1)"
expect_eq "$(man -w 5 vmrecon.yaml 2>/dev/null)" /usr/share/man/man5/vmrecon.yaml.5.gz "man finds vmrecon.yaml(5)"
expect_eq "$(bash -c '. /usr/share/bash-completion/completions/vmrecon && complete -p vmrecon')" \
	"complete -F _vmrecon vmrecon" "the bash completion is installed"
if command -v systemd-analyze >/dev/null; then
	run timeout 120 systemd-analyze verify /lib/systemd/system/vmrecon-watch.service
	expect_rc 0 "systemd-analyze verify accepts the installed unit"
else
	skip "the installed unit: no systemd-analyze"
fi

# ---- purge: nothing left ----
wait_dpkg || skip_all "dpkg or apt ran for 10 minutes: cannot purge now"
run dpkg --purge $PKGS
expect_rc 0 "dpkg --purge of every package"
installed=0
snap >"$T/after"
if cmp -s "$T/before" "$T/after"; then
	ok "the purge left no file behind ($(wc -l <"$T/before") paths compared)"
else
	notok "files differ after the purge: $(diff "$T/before" "$T/after" | head -5)"
fi
exit $_failed
