#!/usr/bin/env bash
# t0110-schema-agree.sh - vmrecon's checks and schema/vmrecon.schema.json
# give the same verdict on every example, good file and bad-input file
# (tests/schema_agree.py; tests/schema_agree.manifest lists the problems
# the schema cannot express), and the field table (schema/field.c, dumped
# by tests/tools/fielddump) agrees with the schema's spec keys, types and
# bounds; a copy of either side edited alone must make that check fail.
. "$(dirname "$0")/../lib.sh"

if [ ! -x "$VMRECON" ]; then
	notok "no vmrecon binary at $VMRECON"
	exit 1
fi
TOOLS=${VMRECON%/vmrecon}/tools
if [ ! -x "$TOOLS/fielddump" ]; then
	notok "no $TOOLS/fielddump (make test-bins)"
	exit 1
fi
AGREE=$VR_TOP/tests/schema_agree.py
SCHEMA=$VR_TOP/schema/vmrecon.schema.json
/usr/bin/python3 "$AGREE" "$VMRECON" "$VR_TOP" 200 "$TOOLS/fielddump"
rc=$?
[ $rc -eq 0 ] || _failed=1

# each side edited alone: the comparison must notice
"$TOOLS/fielddump" >"$T/fields.json"
/usr/bin/python3 - "$T/fields.json" "$SCHEMA" "$T" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
schema = json.load(open(sys.argv[2]))
t = sys.argv[3]
def dump(name, obj):
    with open("%s/%s" % (t, name), "w") as fp:
        json.dump(obj, fp)
s = json.loads(json.dumps(schema))
s["properties"]["spec"]["properties"]["cpuCount"]["maximum"] = 2048
dump("schema-cpu-max.json", s)
s = json.loads(json.dumps(schema))
s["properties"]["spec"]["properties"]["restartPolicy"]["enum"].append("Always")
dump("schema-policy.json", s)
s = json.loads(json.dumps(schema))
s["properties"]["spec"]["properties"]["cpuPinning"] = {"type": "array"}
dump("schema-new-key.json", s)
r = json.loads(json.dumps(rows))
next(x for x in r if x["key"] == "memoryInMB")["min"] = 512
dump("table-mem-min.json", r)
r = json.loads(json.dumps(rows))
next(x for x in r if x["key"] == "gpu")["max"] = 8
dump("table-gpu-count.json", r)
r = json.loads(json.dumps(rows)) + [{"key": "cpuPinning",
    "kind": "integer-list", "min": 0, "max": 1023, "multipleOf": 1,
    "maxItems": 1024}]
dump("table-new-key.json", r)
PY
# expect_mismatch SIDE NAME DUMP SCHEMA: --fields must fail on the pair
expect_mismatch() {
	if /usr/bin/python3 "$AGREE" --fields "$3" "$4" >"$T/out" 2>&1; then
		notok "the field check misses an edit of the $1 alone ($2)"
	elif grep -q "^not ok - field table vs schema" "$T/out"; then
		ok "the field check notices an edit of the $1 alone ($2)"
	else
		notok "the field check fails oddly on $2: $(head -3 "$T/out")"
	fi
}
for s in schema-cpu-max schema-policy schema-new-key; do
	expect_mismatch schema "$s" "$T/fields.json" "$T/$s.json"
done
for s in table-mem-min table-gpu-count table-new-key; do
	expect_mismatch table "$s" "$T/$s.json" "$SCHEMA"
done
exit $rc
