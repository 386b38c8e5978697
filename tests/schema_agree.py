#!/usr/bin/python3
"""tests/schema_agree.py - the C checks and schema/vmrecon.schema.json agree.

    schema_agree.py VMRECON [TOP] [GENERATED] [FIELDDUMP]
    schema_agree.py --fields DUMP.json SCHEMA.json

For every file in examples/, tests/good/ and tests/bad/, compares vmrecon's
verdict (`VMRECON validate FILE`: exit 0 valid, 1 invalid) with the JSON
Schema's (each YAML document, loaded by PyYAML, against the schema; a file
PyYAML cannot load, or with no documents, is invalid).  Files listed in
tests/schema_agree.manifest have a problem the schema cannot express: for
them only vmrecon's verdict is checked to be "invalid".

Then GENERATED (default 200) documents made from a fixed seed, mostly
valid with a few wrong values each, must get the same verdict from both.

With FIELDDUMP (tests/tools/fielddump), the field table of schema/field.c
must also agree with the schema's "spec" properties: the same keys, and
per key the same type, bounds, step, words and default.  --fields compares
a saved dump with a schema file only (t0110 edits each alone to prove the
comparison notices).

Prints "ok - FILE" or "not ok - FILE: C says X, schema says Y".  Run it with
Debian's /usr/bin/python3 (python3-yaml, python3-jsonschema).
"""
import fnmatch
import json
import os
import random
import subprocess
import sys
import tempfile

import jsonschema
import yaml

failed = False


def ok(msg):
    print("ok - " + msg)


def not_ok(msg):
    global failed
    failed = True
    print("not ok - " + msg)


def read_manifest(path):
    entries = []
    with open(path, encoding="utf-8") as fp:
        for line in fp:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            pattern, _, reason = line.partition(" ")
            entries.append([pattern, reason.strip(), 0])
    return entries


def c_verdict(vmrecon, path):
    try:
        r = subprocess.run([vmrecon, "validate", path], capture_output=True,
                           timeout=20)
    except subprocess.TimeoutExpired:
        return "a timeout"
    return {0: "valid", 1: "invalid"}.get(r.returncode,
                                          "exit %d" % r.returncode)


def schema_verdict(validator, path):
    try:
        with open(path, "rb") as fp:
            docs = [d for d in yaml.safe_load_all(fp.read()) if d is not None]
    except Exception as e:  # any loader failure: not valid YAML for us
        return "invalid", "yaml: " + str(e).splitlines()[0]
    if not docs:
        return "invalid", "no documents"
    for d in docs:
        for err in validator.iter_errors(d):
            return "invalid", err.message
    return "valid", ""


# Values for generated documents: valid ones, and wrong ones both sides can
# see (no spellings from the manifest such as 0x10 or +4).
BAD_INTS = ["0", "1025", "2049", "1022", "16777218", "65", "-1", "'4'",
            "true", "~", "", "[1]", "{a: 1}", "four", "99999999999999999999",
            "null", "yes", "3"]
BAD_STRS = ["'edge 01'", '""', "1", "'1'", "-x", "x" * 65, "~", "true",
            "[a]", "{a: b}", "'NVIDIA\\tA2'", '"a\\u202eb"', "never",
            "None", "2020-01-01", "1.5", "ifneeded", "v1", "Pod"]


def generate(rnd):
    def maybe(p):
        return rnd.random() < p

    def pick(good, p=0.85):
        return good if maybe(p) else rnd.choice(BAD_STRS)

    lines = []
    if maybe(0.97):
        lines.append("apiVersion: " + pick("vmrecon/v1", 0.95))
    if maybe(0.97):
        lines.append("kind: " + pick("VirtualMachine", 0.95))
    if maybe(0.97):
        if maybe(0.95):
            lines.append("metadata:\n  name: " +
                         pick(rnd.choice(["edge-01", "a.b_c-d", "x" * 64,
                                          "'1'", "Edge9"]), 0.8))
        else:
            lines.append("metadata: " + rnd.choice(["{}", "~", "x", "[]"]))
    if maybe(0.97):
        spec = []
        if maybe(0.5):
            spec.append("  cpuCount: " + (str(rnd.randint(1, 1024))
                        if maybe(0.8) else rnd.choice(BAD_INTS)))
        if maybe(0.5):
            spec.append("  memoryInMB: " + (str(2 * rnd.randint(512, 8388608))
                        if maybe(0.8) else rnd.choice(BAD_INTS)))
        if maybe(0.5):
            if maybe(0.15):
                spec.append("  gpu: " + rnd.choice(
                    ["none", "~", "", "None", "'none'", "[]", "x", "{}"]))
            else:
                g = []
                if maybe(0.93):
                    g.append("    name: " + pick(rnd.choice(
                        ["NVIDIA A2", "Intel(R) Iris(R) Xe Graphics",
                         "'GPU: \u00e9'", "A" * 256]), 0.8))
                if maybe(0.93):
                    g.append("    passthroughType: " + pick(rnd.choice(
                        ["DirectDeviceAssignment", "ParaVirtualization"])))
                if maybe(0.5):
                    g.append("    count: " + (str(rnd.randint(1, 3))
                             if maybe(0.8) else rnd.choice(BAD_INTS)))
                if maybe(0.05):
                    g.append("    vendor: x")
                rnd.shuffle(g)
                spec.append("  gpu:" + ("\n" + "\n".join(g) if g else " {}"))
        if maybe(0.4):
            spec.append("  restartPolicy: " +
                        pick(rnd.choice(["Never", "IfNeeded"])))
        if maybe(0.05):
            spec.append("  cpus: 4")
        rnd.shuffle(spec)
        lines.append("spec:" + ("\n" + "\n".join(spec) if spec
                                else rnd.choice([" {}", "", " ~"])))
    rnd.shuffle(lines)
    return "\n".join(lines) + "\n"


def check_generated(vmrecon, validator, n, tmp):
    rnd = random.Random(20261123)
    path = os.path.join(tmp, "generated.yaml")
    nvalid = bad = 0
    for i in range(n):
        text = generate(rnd)
        with open(path, "w", encoding="utf-8") as fp:
            fp.write(text)
        c = c_verdict(vmrecon, path)
        s, why = schema_verdict(validator, path)
        nvalid += c == "valid"
        if c != s:
            bad += 1
            not_ok("generated #%d: C says %s, schema says %s%s" %
                   (i, c, s, " (" + why + ")" if why else ""))
            print("# " + text.replace("\n", "\n# "))
    if not bad:
        ok("%d generated documents agree (%d valid)" % (n, nvalid))
    if n >= 100 and not 0.1 * n < nvalid < 0.9 * n:
        not_ok("generated documents: %d of %d valid, not a useful mix"
               % (nvalid, n))


def field_problems(rows, schema):
    """What differs between the field table dump and the schema."""
    out = []
    spec = schema["properties"]["spec"]
    props = spec["properties"]
    if spec.get("additionalProperties") is not False:
        out.append("spec: the schema allows keys the table does not have")
    keys = [r["key"] for r in rows]
    for k in sorted(set(props) - set(keys)):
        out.append("%s: in the schema, not in the field table" % k)
    for k in sorted(set(keys) - set(props)):
        out.append("%s: in the field table, not in the schema" % k)
    for r in rows:
        p = props.get(r["key"])
        if p is None:
            continue
        k, kind = r["key"], r["kind"]

        def same(what, table, schema_value):
            if table != schema_value:
                out.append("%s: %s is %r in the table, %r in the schema"
                           % (k, what, table, schema_value))
        if kind == "integer":
            same("type", "integer", p.get("type"))
            same("minimum", r["min"], p.get("minimum"))
            same("maximum", r["max"], p.get("maximum"))
            same("multipleOf", r["multipleOf"] if r["multipleOf"] > 1
                 else None, p.get("multipleOf"))
        elif kind == "enum":
            same("enum", r["names"], p.get("enum"))
            same("default", r["default"], p.get("default"))
        elif kind == "gpu":
            alts = p.get("oneOf", [])
            same("'none'", True, {"const": "none"} in
                 [{"const": a.get("const")} for a in alts])
            ref = [a["$ref"] for a in alts if "$ref" in a]
            same("mapping", ["#/$defs/gpu"], ref)
            count = schema["$defs"]["gpu"]["properties"]["count"]
            same("count minimum", r["min"], count.get("minimum"))
            same("count maximum", r["max"], count.get("maximum"))
        elif kind == "integer-list":
            same("type", "array", p.get("type"))
            items = p.get("items", {})
            same("item type", "integer", items.get("type"))
            same("item minimum", r["min"], items.get("minimum"))
            same("item maximum", r["max"], items.get("maximum"))
            same("maxItems", r["maxItems"], p.get("maxItems"))
        elif kind == "windows":
            # a list of restart windows; a duration's bounds (min, max
            # seconds) are beyond a pattern: the manifest's bad files
            same("type", "array", p.get("type"))
            same("minItems", 1, p.get("minItems"))
            same("maxItems", r["maxItems"], p.get("maxItems"))
            same("items", {"$ref": "#/$defs/restartWindow"}, p.get("items"))
        else:
            out.append("%s: kind %r unknown to this test" % (k, kind))
    return out


def check_fields(rows, schema, what):
    problems = field_problems(rows, schema)
    for p in problems:
        not_ok("field table vs schema: " + p)
    if not problems:
        ok("the field table and %s agree on %d keys" % (what, len(rows)))
    return not problems


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--fields":
        with open(sys.argv[2], encoding="utf-8") as fp:
            rows = json.load(fp)
        with open(sys.argv[3], encoding="utf-8") as fp:
            schema = json.load(fp)
        return 0 if check_fields(rows, schema, sys.argv[3]) else 1
    if len(sys.argv) < 2:
        sys.exit("usage: schema_agree.py VMRECON [TOP]")
    vmrecon = sys.argv[1]
    top = sys.argv[2] if len(sys.argv) > 2 else os.getcwd()
    ngen = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    os.chdir(top)

    with open("schema/vmrecon.schema.json", encoding="utf-8") as fp:
        schema = json.load(fp)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        ok("schema/vmrecon.schema.json is a valid 2020-12 schema")
    except jsonschema.SchemaError as e:
        not_ok("schema/vmrecon.schema.json: " + e.message)
        return 1
    validator = jsonschema.Draft202012Validator(schema)
    if len(sys.argv) > 4:
        r = subprocess.run([sys.argv[4]], capture_output=True, timeout=20)
        if r.returncode != 0:
            not_ok("%s exits %d" % (sys.argv[4], r.returncode))
        else:
            check_fields(json.loads(r.stdout), schema,
                         "schema/vmrecon.schema.json")
    manifest = read_manifest("tests/schema_agree.manifest")

    files = []
    for d in ("examples", "tests/good", "tests/bad"):
        files += sorted(os.path.join(d, f) for f in os.listdir(d)
                        if f.endswith(".yaml"))
    if len(files) < 100:
        not_ok("only %d files found under %s" % (len(files), top))

    for f in files:
        entry = next((m for m in manifest if fnmatch.fnmatch(f, m[0])),
                     None)
        c = c_verdict(vmrecon, f)
        if entry:
            entry[2] += 1
            if c == "invalid":
                ok("%s (C only: %s)" % (f, entry[1]))
            else:
                not_ok("%s: C says %s, wanted invalid (%s)"
                       % (f, c, entry[1]))
            continue
        s, why = schema_verdict(validator, f)
        if c == s:
            ok(f)
        else:
            not_ok("%s: C says %s, schema says %s%s"
                   % (f, c, s, " (" + why + ")" if why else ""))
        if f.startswith("tests/bad/") and c != "invalid":
            not_ok("%s: a bad file that vmrecon accepts" % f)
        if f.startswith(("examples/", "tests/good/")) and c != "valid":
            not_ok("%s: a good file that vmrecon rejects" % f)

    # a file one byte over the limit, made here rather than committed
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "oversize.yaml")
        with open("examples/a2-dda.yaml", "rb") as fp:
            data = fp.read()
        data += b"#" + b"x" * (4 * 1024 * 1024 - len(data) - 1) + b"\n"
        with open(big, "wb") as fp:
            fp.write(data)
        entry = next(m for m in manifest if m[0] == "@oversize")
        entry[2] += 1
        c = c_verdict(vmrecon, big)
        if c == "invalid":
            ok("oversize.yaml, %d bytes (C only: %s)" % (len(data), entry[1]))
        else:
            not_ok("oversize.yaml: C says %s, wanted invalid" % c)
        check_generated(vmrecon, validator, ngen, tmp)

    for pattern, reason, used in manifest:
        if not used:
            not_ok("manifest entry '%s' matches no file" % pattern)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
