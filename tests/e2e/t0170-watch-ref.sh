# t0170-watch-ref.sh - `vmrecon watch` on a repository whose branch is not
# the default `main`: the error lists the branches it has and suggests
# --ref with its default branch, in the log and in status; with that --ref
# it works.  A tag ref that is missing lists the tags.
. "$(dirname "$0")/../lib.sh"
HOST=$(uname -n)
SRV=$T/srv.git
W=$T/work
git_fixture "$SRV" "$W" master
mkdir -p "$W/hosts" && cp "$VR_TOP/examples/a2-dda.yaml" "$W/hosts/$HOST.yaml"
git -C "$W" add -A && git -C "$W" commit -qm init
git -C "$W" push -q "file://$SRV" HEAD:master HEAD:dev HEAD:refs/tags/v1

run "$VMRECON" watch --once --repo "file://$SRV" --path "hosts/$HOST.yaml" --state-dir "$T/s1"
expect_rc 1 "watch on a master-only repository fails with the default ref"
expect_in "$T/err" "the repository has no refs/heads/main; its branches: dev, master (try --ref master)" \
	"the log lists its branches and suggests --ref with its default branch"
expect_eq "$(json_get "$T/s1/status.json" "d['source']['conditions'][0]['message']")" \
	"the repository has no refs/heads/main; its branches: dev, master (try --ref master)" \
	"status.json's source message says the same"
run "$VMRECON" status --state-dir "$T/s1"
expect_in "$T/out" "try --ref master" "and so does status text"

run "$VMRECON" watch --once --repo "file://$SRV" --ref master --path "hosts/$HOST.yaml" --state-dir "$T/s1"
expect_rc 0 "with the suggested --ref it applies"

run "$VMRECON" watch --once --repo "file://$SRV" --ref tag:v2 --path "hosts/$HOST.yaml" --state-dir "$T/s2"
expect_rc 1 "a missing tag"
expect_in "$T/err" "the repository has no refs/tags/v2; its tags: v1 (try --ref tag:v1)" \
	"lists the tags and suggests one"

git init -q --bare -b main "$T/empty.git"
run "$VMRECON" watch --once --repo "file://$T/empty.git" --path "hosts/$HOST.yaml" --state-dir "$T/s3"
expect_rc 1 "an empty repository"
expect_in "$T/err" "the repository has no refs/heads/main, and no branches at all" "says it has no branches"
