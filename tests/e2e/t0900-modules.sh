# t0900-modules.sh - the loadable modules (schema/util/module.h) and the
# git helper: the core binary links no heavy library, a command that needs
# none loads none, a missing module or helper and a module of another
# version or layout are refused with a clear message, and `make install
# DESTDIR= PREFIX=` puts the modules and the helper where the binary finds
# them, also after the tree is moved.  A module refused for its version or
# layout is refused before any of its code runs (its note is read from the
# file; a constructor in it would leave a file).  The helper's own cases
# (other version, junk, hangs, kills) are in t0905-git-helper; paths that
# are not trusted, in t0910-module-trust.
#@ nolv: --backend libvirt and version say the module was not built
. "$(dirname "$0")/../lib.sh"
trusted_tmp || notok "no trusted directory for the modules"
MODS=$VR_TOP/$VR_BUILD/lib/vmrecon
spec=$VR_TOP/examples/a2-dda.yaml
if [ -e "$MODS/vmrecon-libvirt.so" ]; then lv=1; else lv=0; fi

# --- what the core binary links
readelf -d "$VMRECON" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' >"$T/needed"
expect_in "$T/needed" "libyaml-0.so" "the core links libyaml"
expect_in "$T/needed" "libjansson.so" "the core links jansson"
for lib in libcurl libgit2 libvirt libcrypto libssl libxml2; do
	expect_not_in "$T/needed" "$lib" "the core does not link $lib"
done

# --- every module links: each symbol it needs is the core's or its
# libraries' (LD_BIND_NOW resolves them all at dlopen, not at first call)
run env LD_BIND_NOW=1 "$VMRECON" version -v
expect_rc 0 "version -v with every symbol bound at load"
expect_in "$T/out" "vmrecon-git-helper (watch): libgit2 " \
	"the git helper runs (every symbol bound) and names libgit2"
expect_in "$T/out" "(https sources, --notify, --commit-status): libcurl " \
	"the http module loads and names libcurl"
if [ $lv = 1 ]; then
	expect_in "$T/out" "(--backend): libvirt " \
		"the libvirt module loads and names libvirt"
fi
expect_not_in "$T/out" "refused" "no module is refused"

# --- a command without git, HTTP or libvirt needs no module at all
mkdir -p "$TT/empty"
run env VMRECON_MODULE_DIR="$TT/empty" "$VMRECON" diff -f "$spec" \
	--state-dir "$T/s1"
expect_rc 2 "diff on sim with no module anywhere"
run env VMRECON_MODULE_DIR="$TT/empty" "$VMRECON" version
expect_rc 0 "version with no module anywhere"
expect_in "$T/out" "git      missing: helper vmrecon-git-helper not found in $TT/empty" \
	"version says where it looked for the git helper"
expect_in "$T/out" "backends: sim eflow hyperv qemu" "version lists the built-in backends"
expect_not_in "$T/out" "backends: sim eflow hyperv qemu libvirt" \
	"version lists no libvirt backend without its module"

# --- a missing module: the command that needs it fails and says why
run env VMRECON_MODULE_DIR="$TT/empty" "$VMRECON" watch --repo \
	"git://127.0.0.1:9/none.git" --path a.yaml --state-dir "$T/s2"
expect_rc 1 "watch without the git helper"
expect_in "$T/err" "helper vmrecon-git-helper not found in $TT/empty (VMRECON_MODULE_DIR overrides)" \
	"watch says the git helper is missing and where it looked"
run env VMRECON_MODULE_DIR="$TT/empty" "$VMRECON" validate \
	"https://127.0.0.1:9/a.yaml"
expect_rc 1 "an https source without the http module"
expect_in "$T/err" "module vmrecon-http.so not found in $TT/empty" \
	"an https source says the http module is missing"
run env VMRECON_MODULE_DIR="$TT/empty" "$VMRECON" diff -f "$spec" \
	--backend libvirt:test:///default --state-dir "$T/s3"
expect_rc 1 "--backend libvirt without its module"
if [ $lv = 1 ]; then
	expect_in "$T/err" "the libvirt backend: module vmrecon-libvirt.so not found in $TT/empty" \
		"--backend libvirt says its module is missing"
else
	expect_in "$T/err" "the libvirt backend is not built: pkg-config found no libvirt" \
		"--backend libvirt says it was not built"
	run "$VMRECON" version
	expect_in "$T/out" "libvirt  missing: not built:" "version says libvirt was not built"
fi

# --- modules of another version, of another layout, without a note, not
# a module at all; each has a constructor that would leave a file
mkdir -p "$TT/other" "$TT/layout" "$TT/nonote" "$TT/junk"
ver=$(cat "$VR_TOP/reconciler/VERSION")
for m in http libvirt; do
	ctor="__attribute__((constructor)) static void ran(void)
{ FILE *f = fopen(\"$T/ran-\" WHO \"-$m\", \"w\"); if (f) fclose(f); }
static const char *lib(void) { return \"test\"; }"
	cat >"$T/other-$m.c" <<C
#include <stdio.h>
#include "schema/util/module.h"
#define WHO "other"
$ctor
VR_MODULE_NOTE("$m");
static const int api;
const struct vr_module_info VR_MODULE_DEFINE = {
	VR_MODULE_ABI, VR_VERSION, "$m", &api, lib,
};
C
	# layout 1: its note and its entry of that layout
	cat >"$T/layout-$m.c" <<C
#include <stdio.h>
#include "schema/util/module.h"
#define WHO "layout"
$ctor
__attribute__((section(".note.vmrecon"), aligned(4), used))
static const struct vr_module_note note = { 8, 52, 1, "vmrecon",
	{ 1, "$ver", "$m" } };
const int vr_module_entry_v1 = 0;
const char *(*use)(void) = lib;
C
	# this version's entry, and no note (as before notes)
	cat >"$T/nonote-$m.c" <<C
#include <stdio.h>
#include "schema/util/module.h"
#define WHO "nonote"
$ctor
static const int api;
const struct vr_module_info VR_MODULE_DEFINE = {
	VR_MODULE_ABI, "$ver", "$m", &api, lib,
};
C
	cc -shared -fPIC -I"$VR_TOP" -DVR_VERSION='"0.0.0-other"' \
		-o "$TT/other/vmrecon-$m.so" "$T/other-$m.c" &&
	cc -shared -fPIC -I"$VR_TOP" -o "$TT/layout/vmrecon-$m.so" \
		"$T/layout-$m.c" &&
	cc -shared -fPIC -I"$VR_TOP" -o "$TT/nonote/vmrecon-$m.so" \
		"$T/nonote-$m.c" ||
		notok "building the wrong modules for $m"
	echo "not an ELF file" >"$TT/junk/vmrecon-$m.so"
done
# wrong DIR DESC WHY: an https source with the modules of $TT/DIR fails,
# refusing its http module and saying WHY
wrong() {
	run env VMRECON_MODULE_DIR="$TT/$1" "$VMRECON" validate \
		"https://127.0.0.1:9/a.yaml"
	expect_rc 1 "an http module $2"
	expect_in "$T/err" "refusing module $TT/$1/vmrecon-http.so: $3" \
		"an http module $2 is refused, saying why"
}
wrong other "of another version" "it is the http module of vmrecon 0.0.0-other (layout 2), this is vmrecon $ver (layout 2); install the modules built with this vmrecon"
wrong layout "of another layout" "it is the http module of vmrecon $ver (layout 1), this is vmrecon $ver (layout 2)"
wrong nonote "without a note" "it is not a vmrecon $ver module (it has no vmrecon note)"
wrong junk "that is not a shared object" "not an ELF file"
for d in other layout nonote; do
	run env VMRECON_MODULE_DIR="$TT/$d" "$VMRECON" version -v
	expect_in "$T/out" "(https sources, --notify, --commit-status): refused: refusing module $TT/$d/vmrecon-http.so" \
		"version -v shows the refused module ($d)"
	if [ $lv = 1 ]; then
		run env VMRECON_MODULE_DIR="$TT/$d" "$VMRECON" diff -f "$spec" \
			--backend libvirt:test:///default --state-dir "$T/s4"
		expect_rc 1 "a libvirt module that is not this vmrecon's ($d)"
		expect_in "$T/err" "the libvirt backend: refusing module $TT/$d/vmrecon-libvirt.so: it is " \
			"the libvirt module is refused ($d)"
	fi
done
ran=$(cd "$T" && echo ran-*)
expect_eq "$ran" "ran-*" "no refused module's constructor ran"
# the control: the same code from a module that is this vmrecon's runs
mkdir -p "$TT/mine"
sed 's/"other"/"mine"/' "$T/other-http.c" >"$T/mine-http.c"
cc -shared -fPIC -I"$VR_TOP" -DVR_VERSION="\"$ver\"" \
	-o "$TT/mine/vmrecon-http.so" "$T/mine-http.c" || notok "building mine"
run env VMRECON_MODULE_DIR="$TT/mine" "$VMRECON" version -v
[ -e "$T/ran-mine-http" ] && ok "(the constructor runs in a module that is accepted)" ||
	notok "the accepted module's constructor did not run: $(cat "$T/out")"

# --- make install DESTDIR= PREFIX=, then the tree moved elsewhere
case $VR_BUILD in
build/rel) margs="" ;;
build/san) margs="SANITIZE=1" ;;
*) margs="B=$VR_BUILD" ; [ $lv = 1 ] || margs="$margs HAVE_LIBVIRT=0" ;;
esac
# shellcheck disable=SC2086
run make -C "$VR_TOP" --no-print-directory install DESTDIR="$TT/dest" \
	PREFIX=/opt/vr $margs
expect_rc 0 "make install DESTDIR=... PREFIX=/opt/vr"
inst=$TT/dest/opt/vr
[ -f "$inst/lib/vmrecon/vmrecon-http.so" ] && ok "installed the http module" ||
	notok "no $inst/lib/vmrecon/vmrecon-http.so"
[ -x "$inst/lib/vmrecon/vmrecon-git-helper" ] && ok "installed the git helper" ||
	notok "no executable $inst/lib/vmrecon/vmrecon-git-helper"
for m in man1/vmrecon.1 man5/vmrecon.yaml.5; do
	cmp -s "$inst/share/man/$m" "$VR_TOP/$(case $m in man1/*) echo reconciler/cli ;; *) echo schema ;; esac)/${m#*/}" &&
		ok "installed the man page $m" || notok "no $inst/share/man/$m as in the tree"
done
mkdir -p "$TT/moved"
mv "$inst" "$TT/moved/prefix"
bin=$TT/moved/prefix/bin/vmrecon
cd "$T" || exit 1
run "$bin" version -v
expect_rc 0 "the relocated install runs"
expect_in "$T/out" "git      $TT/moved/prefix/bin/../lib/vmrecon/vmrecon-git-helper (watch): libgit2" \
	"the relocated install runs its git helper"
expect_in "$T/out" "http     $TT/moved/prefix/bin/../lib/vmrecon/vmrecon-http.so" \
	"the relocated install finds its http module"
expect_not_in "$T/out" "$VR_TOP/$VR_BUILD/" "the relocated install uses nothing from the build tree"
run "$bin" watch --repo "git://127.0.0.1:9/none.git" --path a.yaml \
	--state-dir "$T/s5" --once
expect_rc 1 "watch of the relocated install runs (the repo is not there)"
expect_not_in "$T/err" "helper" "watch of the relocated install has its helper"
expect_in "$T/err" "127.0.0.1:9" "and its helper tried the repository"
if [ $lv = 1 ]; then
	cat >"$T/lv.yaml" <<'Y'
apiVersion: vmrecon/v1
kind: VirtualMachine
metadata:
  name: test
spec:
  cpuCount: 1
Y
	run "$bin" diff -f "$T/lv.yaml" --backend libvirt:test:///default \
		--state-dir "$T/s6"
	expect_rc 2 "the relocated install's libvirt module diffs test:///default"
	expect_in "$T/out" "cpuCount" "the libvirt diff shows the cpu change"
	run "$bin" version
	expect_in "$T/out" "backends: sim eflow hyperv qemu libvirt" \
		"the relocated install lists the libvirt backend"
fi
