#!/usr/bin/python3
"""tests/schema_agree.py - the C checks and schema/vmrecon.schema.json agree.

    schema_agree.py VMRECON [TOP]

For every file in examples/, tests/good/ and tests/bad/, compares vmrecon's
verdict (`VMRECON validate FILE`: exit 0 valid, 1 invalid) with the JSON
Schema's (each YAML document, loaded by PyYAML, against the schema; a file
PyYAML cannot load, or with no documents, is invalid).  Files listed in
tests/schema_agree.manifest have a problem the schema cannot express: for
them only vmrecon's verdict is checked to be "invalid".

Prints "ok - FILE" or "not ok - FILE: C says X, schema says Y".  Run it with
Debian's /usr/bin/python3 (python3-yaml, python3-jsonschema).
"""
import fnmatch
import json
import os
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


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: schema_agree.py VMRECON [TOP]")
    vmrecon = sys.argv[1]
    top = sys.argv[2] if len(sys.argv) > 2 else os.getcwd()
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
        data += b"#" + b"x" * (1024 * 1024 - len(data) - 1) + b"\n"
        with open(big, "wb") as fp:
            fp.write(data)
        entry = next(m for m in manifest if m[0] == "@oversize")
        entry[2] += 1
        c = c_verdict(vmrecon, big)
        if c == "invalid":
            ok("oversize.yaml, %d bytes (C only: %s)" % (len(data), entry[1]))
        else:
            not_ok("oversize.yaml: C says %s, wanted invalid" % c)

    for pattern, reason, used in manifest:
        if not used:
            not_ok("manifest entry '%s' matches no file" % pattern)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
