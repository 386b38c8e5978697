#!/usr/bin/env bash
# t0110-schema-agree.sh - vmrecon's checks and schema/vmrecon.schema.json
# give the same verdict on every example, good file and bad-input file
# (tests/schema_agree.py; tests/schema_agree.manifest lists the problems
# the schema cannot express).
. "$(dirname "$0")/../lib.sh"

if [ ! -x "$VMRECON" ]; then
	notok "no vmrecon binary at $VMRECON"
	exit 1
fi
/usr/bin/python3 "$VR_TOP/tests/schema_agree.py" "$VMRECON" "$VR_TOP"
rc=$?
[ $rc -eq 0 ] || _failed=1
exit $rc
