# t0910-module-trust.sh - code is loaded and run only from paths that root
# or the user alone controls (schema/util/trust.h, as OpenSSH's
# safe_path()): a module or git helper planted where someone else could
# have put it is refused, naming the path and why, before any of its code
# runs.  The planted module is this vmrecon's in all it declares (note,
# entry); its constructor, and the planted helper, would leave a file.  The
# control at the end loads and runs the same code from a trusted directory,
# where the file does appear.  The owner cases need root (chown); as
# another user they are skipped, and said so.
. "$(dirname "$0")/../lib.sh"
trusted_tmp || { notok "no trusted directory"; exit 1; }
ver=$(cat "$VR_TOP/reconciler/VERSION")
MODS=$VR_TOP/$VR_BUILD/lib/vmrecon
URL=https://127.0.0.1:9/a.yaml
if [ -e "$MODS/vmrecon-libvirt.so" ]; then lv=1; else lv=0; fi

for m in http libvirt; do
	cat >"$T/planted-$m.c" <<C
#include <stdio.h>
#include "schema/util/module.h"
__attribute__((constructor)) static void ran(void)
{ FILE *f = fopen("$T/ran", "a"); if (f) { fputs("$m\n", f); fclose(f); } }
static const char *lib(void) { return "planted"; }
static const int api;
VR_MODULE_NOTE("$m");
const struct vr_module_info VR_MODULE_DEFINE = {
	VR_MODULE_ABI, VR_VERSION, "$m", &api, lib,
};
C
	cc -shared -fPIC -I"$VR_TOP" -DVR_VERSION="\"$ver\"" \
		-o "$T/vmrecon-$m.so" "$T/planted-$m.c" ||
		notok "building the planted $m module"
done
cat >"$T/vmrecon-git-helper" <<S
#!/bin/sh
echo helper >>"$T/ran"
S
# plant DIR: the modules and the helper, root's (or the tester's) and
# not writable by others themselves
plant() {
	mkdir -p "$1" &&
	install -m 644 "$T/vmrecon-http.so" "$T/vmrecon-libvirt.so" "$1/" &&
	install -m 755 "$T/vmrecon-git-helper" "$1/"
}
# nothing_ran DESC: no planted code ran
nothing_ran() {
	if [ -e "$T/ran" ]; then
		notok "$1: planted code ran ($(tr '\n' ' ' <"$T/ran"))"
		rm -f "$T/ran"
	else
		ok "$1: no planted code ran"
	fi
}
# refused DIR WHY DESC: every way in, with VMRECON_MODULE_DIR=DIR, is
# refused, saying WHY (after "refusing module DIR/vmrecon-http.so: ")
refused() {
	local d=$1 why=$2
	run env VMRECON_MODULE_DIR="$d" "$VMRECON" validate "$URL"
	expect_rc 1 "$3: an https source"
	expect_in "$T/err" "refusing module $d/vmrecon-http.so: $why" \
		"$3: the http module is refused, saying why"
	run env VMRECON_MODULE_DIR="$d" "$VMRECON" version -v
	expect_in "$T/out" "refused: refusing module $d/vmrecon-http.so: $why" \
		"$3: version -v says the module is refused"
	expect_in "$T/out" "refused: refusing helper $d/vmrecon-git-helper: " \
		"$3: version -v says the helper is refused"
	run env VMRECON_MODULE_DIR="$d" "$VMRECON" version
	expect_in "$T/out" "refused: refusing module $d/vmrecon-http.so: $why" \
		"$3: version (loading nothing) says so too"
	run env VMRECON_MODULE_DIR="$d" "$VMRECON" watch --repo \
		"file://$T/none.git" --path a.yaml --state-dir "$T/s" --once
	expect_rc 1 "$3: watch"
	expect_in "$T/err" "refusing helper $d/vmrecon-git-helper: " \
		"$3: the git helper is refused"
	if [ $lv = 1 ]; then
		run env VMRECON_MODULE_DIR="$d" "$VMRECON" diff -f \
			"$VR_TOP/examples/a2-dda.yaml" --state-dir "$T/s" \
			--backend libvirt:test:///default
		expect_rc 1 "$3: --backend libvirt"
		expect_in "$T/err" "refusing module $d/vmrecon-libvirt.so: " \
			"$3: the libvirt module is refused"
	fi
	nothing_ran "$3"
}

# 1. a world-writable directory, and a sticky one as /tmp
W=$TT/ww
plant "$W" && chmod 777 "$W"
refused "$W" "'$W' is writable by its group and others (mode 0777)" \
	"world-writable dir"
plant "$TT/sticky/mods" && chmod 1777 "$TT/sticky"
refused "$TT/sticky/mods" "'$TT/sticky' is writable by its group and others (mode 1777), so others could change what runs; code is never taken from a shared directory such as /tmp" \
	"under a sticky world-writable dir"

# 2. a group-writable parent (the module's own directory is fine)
plant "$TT/gw/mods" && chmod 775 "$TT/gw"
refused "$TT/gw/mods" "'$TT/gw' is writable by its group (mode 0775)" \
	"group-writable parent"

# 3. symbolic links: to a directory whose parent is world-writable, as a
# relative link, and a module file linked into one; a link into a trusted
# directory is followed
plant "$TT/ww2/mods" && chmod 777 "$TT/ww2"
ln -s "$TT/ww2/mods" "$TT/link"
refused "$TT/link" "'$TT/ww2' is writable by its group and others (mode 0777), so others could change what runs; fix it with chmod go-w (reached through the symbolic link '$TT/link')" \
	"symlinked dir"
ln -s ww2/mods "$TT/rlink"
refused "$TT/rlink" "'$TT/ww2' is writable by its group and others (mode 0777)" \
	"relative symlinked dir"
mkdir -p "$TT/flink"
for f in vmrecon-http.so vmrecon-libvirt.so vmrecon-git-helper; do
	ln -s "../ww/$f" "$TT/flink/$f"
done
refused "$TT/flink" "'$TT/ww' is writable by its group and others (mode 0777), so others could change what runs; fix it with chmod go-w (reached through the symbolic link '$TT/flink/vmrecon-http.so')" \
	"symlinked module file"
ln -s "$MODS" "$TT/good"
run env VMRECON_MODULE_DIR="$TT/good" "$VMRECON" version -v
expect_in "$T/out" "(https sources, --notify, --commit-status): libcurl" \
	"a link to the build's own modules is followed and they load"
expect_not_in "$T/out" "refused" "and nothing there is refused"

# 4. files and directories of another user; a group-writable file
if [ "$(id -u)" = 0 ]; then
	plant "$TT/nob"
	chown nobody "$TT/nob/vmrecon-http.so" "$TT/nob/vmrecon-libvirt.so" \
		"$TT/nob/vmrecon-git-helper"
	uid=$(id -u nobody)
	refused "$TT/nob" "'$TT/nob/vmrecon-http.so' is owned by uid $uid, neither root nor the user running vmrecon (uid 0)" \
		"a module file of another user"
	plant "$TT/nobd/mods"
	chown nobody "$TT/nobd"
	refused "$TT/nobd/mods" "'$TT/nobd' is owned by uid $uid" \
		"a directory of another user"
else
	skip "files of another user: needs root for chown"
fi
plant "$TT/gwf"
chmod 664 "$TT/gwf/vmrecon-http.so" "$TT/gwf/vmrecon-libvirt.so"
chmod 775 "$TT/gwf/vmrecon-git-helper"
refused "$TT/gwf" "'$TT/gwf/vmrecon-http.so' is writable by its group (mode 0664)" \
	"a group-writable module file"

# 5. not only VMRECON_MODULE_DIR: an install (modules found beside the
# executable) under a group-writable directory
mkdir -p "$TT/inst/opt/bin"
cp "$VMRECON" "$TT/inst/opt/bin/vmrecon"
plant "$TT/inst/opt/lib/vmrecon" && chmod 775 "$TT/inst"
run "$TT/inst/opt/bin/vmrecon" validate "$URL"
expect_rc 1 "an install under a group-writable dir: an https source"
expect_in "$T/err" "refusing module $TT/inst/opt/bin/../lib/vmrecon/vmrecon-http.so: '$TT/inst' is writable by its group (mode 0775)" \
	"the installed module is refused, saying why"
nothing_ran "an install under a group-writable dir"

# 6. the control: the same code from a trusted directory runs
plant "$TT/ok"
run env VMRECON_MODULE_DIR="$TT/ok" "$VMRECON" version -v
expect_in "$T/out" "http     $TT/ok/vmrecon-http.so (https sources, --notify, --commit-status): planted" \
	"(control) the planted module loads from a trusted dir"
if [ -e "$T/ran" ] && grep -qx http "$T/ran" && grep -qx helper "$T/ran"; then
	ok "(control) its constructor and the helper ran there"
else
	notok "(control) planted code did not run from a trusted dir: $(cat "$T/ran" 2>&1)"
fi
