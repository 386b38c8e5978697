# t0310-state-trust.sh - the state dir trusts only what its user made:
# no symlink in it is followed, no file of another user's is read or
# truncated, a dir writable by group or others or owned by someone else is
# refused with a message that says how to fix it (OpenSSH's StrictModes),
# and no message quotes a foreign file's content.  The owner cases need
# root (chown); as another user they are skipped, and said so.
. "$(dirname "$0")/../lib.sh"
SECRET="top-secret-$$-content"

vm_yaml "$T/vm.yaml" edge-01 2
victim() { printf '%s\n' "$SECRET" >"$T/victim.txt"; }
victim_intact() { [ "$(cat "$T/victim.txt")" = "$SECRET" ]; }
no_secret() { # DESC: nothing vmrecon printed quotes the victim
	if grep -qF "$SECRET" "$T/out" "$T/err"; then
		notok "$1: a message quotes the foreign file"
	else
		ok "$1: no message quotes the foreign file"
	fi
}
apply() { run "$VMRECON" apply -f "$T/vm.yaml" --state-dir "$1" \
	--backend "sim:$T/sim.json"; }

# 1. the lock is a symlink to a file of the user's: not followed, not
# truncated
S=$T/s1
mkdir -m 700 "$S"
victim
ln -s "$T/victim.txt" "$S/lock"
apply "$S"
expect_rc 1 "lock is a symlink: apply refuses"
expect_in "$T/err" "symbolic link" "the refusal says it is a symlink"
victim_intact && ok "the lock's target is untouched" ||
	notok "the lock's target was changed to '$(cat "$T/victim.txt")'"
no_secret "symlinked lock"

# 2. status.json and last-applied.json symlinked to the victim
S=$T/s2
mkdir -m 700 "$S"
ln -s "$T/victim.txt" "$S/status.json"
run "$VMRECON" status --state-dir "$S"
expect_rc 1 "status.json is a symlink: status refuses"
expect_in "$T/err" "symbolic link" "status says it is a symlink"
no_secret "symlinked status.json, status"
apply "$S"
expect_rc 0 "symlinked status.json: apply starts status over"
[ -f "$S/status.json" ] && [ ! -L "$S/status.json" ] &&
	ok "status.json is now a file of its own" ||
	notok "status.json is still a symlink"
victim_intact && ok "the symlink's target is untouched" || notok "victim changed"
no_secret "symlinked status.json, apply"
rm -f "$S/last-applied.json"
ln -s "$T/victim.txt" "$S/last-applied.json"
apply "$S"
expect_rc 1 "last-applied.json is a symlink: apply refuses"
expect_in "$T/err" "symbolic link" "the refusal says it is a symlink"
victim_intact && ok "its target is untouched" || notok "victim changed"
no_secret "symlinked last-applied.json"

# 3. the default sim file in the state dir is a symlink; a FIFO for status
S=$T/s3
mkdir -m 700 "$S"
ln -s "$T/victim.txt" "$S/sim.json"
run "$VMRECON" diff -f "$T/vm.yaml" --state-dir "$S"
expect_rc 1 "sim.json in the state dir is a symlink: diff refuses"
no_secret "symlinked sim.json"
rm "$S/sim.json"
mkfifo "$S/status.json"
run timeout 20 "$VMRECON" status --state-dir "$S"
expect_rc 1 "status.json is a FIFO: status refuses at once (no hang)"
expect_in "$T/err" "not a regular file" "the refusal says why"

# 4. a state dir writable by group or others, then by others only
for mode in 777 770 702; do
	S=$T/s4-$mode
	mkdir "$S" && chmod "$mode" "$S"
	apply "$S"
	expect_rc 1 "state dir mode $mode: apply refuses"
	expect_in "$T/err" "chmod go-w" "mode $mode: the refusal says how to fix it"
	[ "$(stat -c %a "$S")" = "$mode" ] && [ -z "$(ls -A "$S")" ] &&
		ok "mode $mode: the dir is left as it was, empty" ||
		notok "mode $mode: the dir changed"
	run "$VMRECON" diff -f "$T/vm.yaml" --state-dir "$S" --backend "sim:$T/sim.json"
	expect_rc 1 "state dir mode $mode: diff refuses too"
done
chmod 700 "$T/s4-777"
apply "$T/s4-777"
expect_rc 0 "after chmod the same dir is used"

# 5. files and a dir owned by someone else (root only: chown)
if [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: the other-owner cases need root to chown"
	ok "skipped: other-owner cases (not root)"
else
	S=$T/s5
	mkdir -m 700 "$S"
	victim
	cp "$T/victim.txt" "$S/lock"
	chown nobody "$S/lock"
	apply "$S"
	expect_rc 1 "lock owned by nobody: apply refuses"
	expect_in "$T/err" "owned by uid" "the refusal names the owner"
	[ "$(cat "$S/lock")" = "$SECRET" ] && ok "the foreign lock is not truncated" ||
		notok "the foreign lock was changed"
	no_secret "foreign lock"
	rm -f "$S/lock"
	cp "$T/victim.txt" "$S/last-applied.json"
	chown nobody "$S/last-applied.json"
	apply "$S"
	expect_rc 1 "last-applied.json owned by nobody: apply refuses"
	no_secret "foreign last-applied.json"
	S=$T/s6
	mkdir -m 700 "$S"
	chown nobody "$S"
	apply "$S"
	expect_rc 1 "state dir owned by nobody: apply refuses"
	expect_in "$T/err" "chown" "the refusal says how to fix it"
	run "$VMRECON" status --state-dir "$S"
	expect_rc 1 "state dir owned by nobody: status refuses"
fi

# 6. what vmrecon creates is the user's only
S=$T/s7
apply "$S"
expect_rc 0 "a new state dir"
expect_eq "$(stat -c %a "$S")" 700 "the new dir is 0700"
bad=$(find "$S" -type f ! -perm 600 | wc -l)
expect_eq "$bad" 0 "every file in it is 0600"
expect_eq "$(find "$S" -name '*.tmp.*' | wc -l)" 0 "no temporary file is left"
