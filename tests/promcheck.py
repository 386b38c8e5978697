#!/usr/bin/python3
"""tests/promcheck.py - a strict checker of the Prometheus text exposition
format (0.0.4), as node_exporter's textfile collector reads it.

    promcheck.py FILE     exit 0 if valid; else prints "FILE:LINE: why"

Checks: every line is a HELP, TYPE, other comment or sample line; names and
label names are well formed; label values use only the \\\\ \\" \\n escapes;
values are floats (NaN, +Inf, -Inf allowed) with an optional integer
timestamp; HELP/TYPE at most once per family and TYPE before its samples;
the samples of a family are not interleaved with another's; no series
twice; counters are not negative; the file ends with a newline.
"""
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LNAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
FLOAT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_labels(s, i):
    """Parse {a="b",...} starting after '{'; return (labels, index)."""
    labels = []
    while True:
        if s[i] == "}":
            return labels, i + 1
        m = re.compile(LNAME).match(s, i)
        if not m:
            raise ValueError("bad label name at column %d" % (i + 1))
        name = m.group(0)
        if name.startswith("__"):
            raise ValueError("reserved label name %s" % name)
        i = m.end()
        if s[i:i + 2] != '="':
            raise ValueError("expected =\" after label %s" % name)
        i += 2
        val = []
        while True:
            c = s[i]
            if c == "\\":
                e = s[i + 1]
                if e not in '\\"n':
                    raise ValueError("bad escape \\%s" % e)
                val.append("\n" if e == "n" else e)
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                val.append(c)
                i += 1
        labels.append((name, "".join(val)))
        if s[i] == ",":
            i += 1
        elif s[i] != "}":
            raise ValueError("expected , or } after label %s" % name)


def family(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) in ("histogram",
                                                          "summary"):
            return base
    return name


def check(text):
    errors = []
    if text and not text.endswith("\n"):
        errors.append((text.count("\n") + 1, "no newline at the end"))
    helps, types, seen, done = set(), {}, set(), set()
    current = None
    for no, line in enumerate(text.split("\n")[:-1], 1):
        try:
            if line == "":
                continue
            if line.startswith("#"):
                m = re.match(r"^# (HELP|TYPE) (%s)(?: (.*))?$" % NAME, line)
                if not m:
                    if re.match(r"^# (HELP|TYPE)\b", line):
                        raise ValueError("malformed %s line" % line[2:6])
                    continue
                kind, name, rest = m.group(1), m.group(2), m.group(3)
                if kind == "HELP":
                    if name in helps:
                        raise ValueError("second HELP for %s" % name)
                    helps.add(name)
                else:
                    if rest not in TYPES:
                        raise ValueError("bad type %r" % rest)
                    if name in types:
                        raise ValueError("second TYPE for %s" % name)
                    if name in done or name == current:
                        raise ValueError("TYPE after samples of %s" % name)
                    types[name] = rest
                continue
            m = re.compile(NAME).match(line)
            if not m:
                raise ValueError("bad metric name")
            name, i = m.group(0), m.end()
            labels = []
            if i < len(line) and line[i] == "{":
                labels, i = parse_labels(line, i + 1)
            names = [k for k, _ in labels]
            if len(set(names)) != len(names):
                raise ValueError("a label name twice")
            if line[i:i + 1] != " ":
                raise ValueError("expected a space before the value")
            parts = line[i + 1:].split(" ")
            if len(parts) not in (1, 2) or not parts[0]:
                raise ValueError("expected value [timestamp]")
            v = parts[0]
            if v in ("NaN", "+Inf", "-Inf"):
                value = float(v.replace("Inf", "inf"))
            elif FLOAT.match(v):
                value = float(v)
            else:
                raise ValueError("bad value %r" % v)
            if len(parts) == 2 and not re.match(r"^-?\d+$", parts[1]):
                raise ValueError("bad timestamp %r" % parts[1])
            fam = family(name, types)
            if fam != current:
                if fam in done:
                    raise ValueError("samples of %s are not together" % fam)
                if current:
                    done.add(current)
                current = fam
            key = (name, tuple(sorted(labels)))
            if key in seen:
                raise ValueError("series %s%s twice" % key)
            seen.add(key)
            if types.get(fam) == "counter" and (math.isnan(value) or
                                                value < 0):
                raise ValueError("counter %s is %s" % (name, v))
        except (ValueError, IndexError) as e:
            errors.append((no, str(e) or "truncated line"))
    return errors


def main():
    path = sys.argv[1]
    with open(path, encoding="utf-8") as f:
        errors = check(f.read())
    for no, why in errors:
        print("%s:%d: %s" % (path, no, why))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
