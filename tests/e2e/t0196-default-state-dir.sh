# t0196-default-state-dir.sh - a user other than root, without
# --state-dir: the default state dir (~/.local/state/vmrecon), and where
# that cannot be made, the error naming the dir meant and the flag that
# changes it.
. "$(dirname "$0")/../lib.sh"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
	"${NOBODY[@]}" test -x "$VMRECON"; then
	# apply makes the state dir (diff, status and get only read it)
	run env -u XDG_STATE_HOME HOME=/nonexistent "${NOBODY[@]}" "$VMRECON" apply -f "$VR_TOP/examples/a2-dda.yaml"
	expect_rc 1 "nobody with HOME=/nonexistent"
	expect_in "$T/err" "vmrecon: state dir '/nonexistent/.local/state/vmrecon': " "names the state dir meant"
	expect_in "$T/err" "choose another with --state-dir DIR" "and the flag to change it"
	chmod 711 "$T" && mkdir -p "$T/home" && chmod 777 "$T/home"
	run env -u XDG_STATE_HOME HOME="$T/home" "${NOBODY[@]}" "$VMRECON" apply -f "$VR_TOP/examples/a2-dda.yaml"
	expect_rc 0 "nobody with a home: apply works"
	[ -d "$T/home/.local/state/vmrecon" ] && ok "in ~/.local/state/vmrecon" ||
		notok "no ~/.local/state/vmrecon: $(find "$T/home" | head -5)"
else
	skip "non-root checks need root, setpriv and a binary nobody can run"
fi
