# t0900-modules.sh - the loadable modules (schema/util/module.h) and the
# git helper: the core binary links no heavy library, a command that needs
# none loads none, a missing module or helper and a module of another
# version or layout are refused with a clear message, and `make install
# DESTDIR= PREFIX=` puts the modules and the helper where the binary finds
# them, also after the tree is moved.  The helper's own cases (other
# version, junk, hangs, kills) are in t0905-git-helper.
#@ nolv: --backend libvirt and version say the module was not built
. "$(dirname "$0")/../lib.sh"
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
mkdir -p "$T/empty"
run env VMRECON_MODULE_DIR="$T/empty" "$VMRECON" diff -f "$spec" \
	--state-dir "$T/s1"
expect_rc 2 "diff on sim with no module anywhere"
run env VMRECON_MODULE_DIR="$T/empty" "$VMRECON" version
expect_rc 0 "version with no module anywhere"
expect_in "$T/out" "git      missing: helper vmrecon-git-helper not found in $T/empty" \
	"version says where it looked for the git helper"
expect_in "$T/out" "backends: sim eflow qemu" "version lists the built-in backends"
expect_not_in "$T/out" "backends: sim eflow qemu libvirt" \
	"version lists no libvirt backend without its module"

# --- a missing module: the command that needs it fails and says why
run env VMRECON_MODULE_DIR="$T/empty" "$VMRECON" watch --repo \
	"git://127.0.0.1:9/none.git" --path a.yaml --state-dir "$T/s2"
expect_rc 1 "watch without the git helper"
expect_in "$T/err" "helper vmrecon-git-helper not found in $T/empty (VMRECON_MODULE_DIR overrides)" \
	"watch says the git helper is missing and where it looked"
run env VMRECON_MODULE_DIR="$T/empty" "$VMRECON" validate \
	"https://127.0.0.1:9/a.yaml"
expect_rc 1 "an https source without the http module"
expect_in "$T/err" "module vmrecon-http.so not found in $T/empty" \
	"an https source says the http module is missing"
run env VMRECON_MODULE_DIR="$T/empty" "$VMRECON" diff -f "$spec" \
	--backend libvirt:test:///default --state-dir "$T/s3"
expect_rc 1 "--backend libvirt without its module"
if [ $lv = 1 ]; then
	expect_in "$T/err" "the libvirt backend: module vmrecon-libvirt.so not found in $T/empty" \
		"--backend libvirt says its module is missing"
else
	expect_in "$T/err" "the libvirt backend is not built: pkg-config found no libvirt" \
		"--backend libvirt says it was not built"
	run "$VMRECON" version
	expect_in "$T/out" "libvirt  missing: not built:" "version says libvirt was not built"
fi

# --- modules of another version, of another layout, not a module at all
mkdir -p "$T/other" "$T/layout" "$T/junk"
for m in http libvirt; do
	cat >"$T/other-$m.c" <<C
#include "schema/util/module.h"
static const int api;
const struct vr_module_info VR_MODULE_DEFINE = {
	VR_MODULE_ABI, "0.0.0-other", "$m", &api, 0,
};
C
	cat >"$T/layout-$m.c" <<C
const int vr_module_entry_v0 = 0;
C
	cc -shared -fPIC -I"$VR_TOP" -o "$T/other/vmrecon-$m.so" "$T/other-$m.c" &&
	cc -shared -fPIC -o "$T/layout/vmrecon-$m.so" "$T/layout-$m.c" ||
		notok "building the wrong modules for $m"
	echo "not an ELF file" >"$T/junk/vmrecon-$m.so"
done
ver=$(cat "$VR_TOP/reconciler/VERSION")
run env VMRECON_MODULE_DIR="$T/other" "$VMRECON" validate \
	"https://127.0.0.1:9/a.yaml"
expect_rc 1 "an http module of another version"
expect_in "$T/err" "refusing module $T/other/vmrecon-http.so: it is the http module of vmrecon 0.0.0-other (layout 1), this is vmrecon $ver (layout 1); install the modules built with this vmrecon" \
	"the http module of another version is refused, with both versions"
run env VMRECON_MODULE_DIR="$T/layout" "$VMRECON" validate \
	"https://127.0.0.1:9/a.yaml"
expect_rc 1 "an http module of another layout"
expect_in "$T/err" "$T/layout/vmrecon-http.so is not a vmrecon $ver module (no vr_module_entry_v1)" \
	"a module of another layout is refused"
run env VMRECON_MODULE_DIR="$T/junk" "$VMRECON" validate \
	"https://127.0.0.1:9/a.yaml"
expect_rc 1 "a module file that is not a shared object"
expect_in "$T/err" "cannot load module $T/junk/vmrecon-http.so:" \
	"a broken module file is refused with the loader's reason"
run env VMRECON_MODULE_DIR="$T/other" "$VMRECON" version -v
expect_in "$T/out" "(https sources, --notify, --commit-status): refused: refusing module $T/other/vmrecon-http.so" \
	"version -v shows a refused module"
if [ $lv = 1 ]; then
	run env VMRECON_MODULE_DIR="$T/other" "$VMRECON" diff -f "$spec" \
		--backend libvirt:test:///default --state-dir "$T/s4"
	expect_rc 1 "a libvirt module of another version"
	expect_in "$T/err" "the libvirt backend: refusing module $T/other/vmrecon-libvirt.so: it is the libvirt module of vmrecon 0.0.0-other" \
		"the libvirt module of another version is refused"
fi

# --- make install DESTDIR= PREFIX=, then the tree moved elsewhere
case $VR_BUILD in
build/rel) margs="" ;;
build/san) margs="SANITIZE=1" ;;
*) margs="B=$VR_BUILD" ; [ $lv = 1 ] || margs="$margs HAVE_LIBVIRT=0" ;;
esac
# shellcheck disable=SC2086
run make -C "$VR_TOP" --no-print-directory install DESTDIR="$T/dest" \
	PREFIX=/opt/vr $margs
expect_rc 0 "make install DESTDIR=... PREFIX=/opt/vr"
inst=$T/dest/opt/vr
[ -f "$inst/lib/vmrecon/vmrecon-http.so" ] && ok "installed the http module" ||
	notok "no $inst/lib/vmrecon/vmrecon-http.so"
[ -x "$inst/lib/vmrecon/vmrecon-git-helper" ] && ok "installed the git helper" ||
	notok "no executable $inst/lib/vmrecon/vmrecon-git-helper"
mkdir -p "$T/moved"
mv "$inst" "$T/moved/prefix"
bin=$T/moved/prefix/bin/vmrecon
cd "$T" || exit 1
run "$bin" version -v
expect_rc 0 "the relocated install runs"
expect_in "$T/out" "git      $T/moved/prefix/bin/../lib/vmrecon/vmrecon-git-helper (watch): libgit2" \
	"the relocated install runs its git helper"
expect_in "$T/out" "http     $T/moved/prefix/bin/../lib/vmrecon/vmrecon-http.so" \
	"the relocated install finds its http module"
expect_not_in "$T/out" "$VR_TOP/" "the relocated install uses nothing from the build tree"
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
	expect_in "$T/out" "backends: sim eflow qemu libvirt" \
		"the relocated install lists the libvirt backend"
fi
