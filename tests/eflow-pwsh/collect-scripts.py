#!/usr/bin/python3
"""collect-scripts.py LAUNCHER_LOG STDIN_LOG DIR - every PowerShell script
a test's launcher was given, one file each in DIR (named by its SHA-1), for
check-ps51.ps1: the -EncodedCommand of each launcher start (one JSON argv a
line in LAUNCHER_LOG) and each request the worker read from stdin (an id
and base64 a line in STDIN_LOG, removed once read).  Used by t0470 (eflow)
and t0495 (hyperv)."""
import base64, hashlib, json, os, sys

scripts = []
for line in open(sys.argv[1], encoding="utf-8"):
    argv = json.loads(line)
    i = argv.index("-EncodedCommand")
    scripts.append(base64.b64decode(argv[i + 1],
                                    validate=True).decode("utf-16-le"))
if os.path.exists(sys.argv[2]):
    for line in open(sys.argv[2], encoding="ascii"):
        ident, b64 = line.split()
        scripts.append(base64.b64decode(b64, validate=True).decode("utf-8"))
    os.unlink(sys.argv[2])
for script in scripts:
    name = hashlib.sha1(script.encode()).hexdigest()[:12] + ".ps1"
    with open(os.path.join(sys.argv[3], name), "w", encoding="utf-8") as f:
        f.write(script)
