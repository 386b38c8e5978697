#!/usr/bin/python3
"""docrefs.py - every reference to a document or source file, in the code's
comments and in the docs, names a file of the repository.

    docrefs.py TOP        one line per bad reference, "FILE:LINE: why";
                          exit 1 if any, 0 if none; the last line (on
                          stderr) counts what was checked

What counts as a reference (tests/README.md, "Docs"):
  - a path with a slash whose first part is a top-level folder of the tree
    (reconciler/, schema/, backends/, examples/, tests/, .ci/) or a folder
    beside the file, or that starts with ./ or ../ and names a document,
    a source or a folder: it must exist, from the top or from the file's
    folder, and stay inside the tree (a folder above the tree is refused);
    a program built from NAME.c (tests/tools/psrun) and what .gitignore
    names (the build's outputs) count as there;
  - a bare NAME.md: beside the file or at the top;
  - a manual page of vmrecon's own, vmrecon(1), vmrecon.yaml(5), or
    mdoc's `.Xr vmrecon.yaml 5`: a file NAME.N in the tree;
  - the old citation of a design document outside the tree, "DESIGN" and
    a section sign: never allowed.
Paths of other projects (libvirt's src/qemu/...), of the system (/usr/...),
URLs, placeholders (tests/e2e/tNNNN-NAME.sh, cmd_<name>.c, a glob), data
in tests (../x) and #include lines (the compiler checks those) are not
references to this tree and are left alone.
"""
import os
import re
import sys

TOP_DIRS = {"reconciler", "schema", "backends", "examples", "tests", ".ci"}
# folders whose files are data, not prose: corpora, fixtures, outputs
SKIP_DIRS = {".git", "build", "tests/bad", "tests/good", "tests/fixtures",
             "tests/fuzz/corpus", "tests/unit/golden",
             os.path.join("tests", "fuzz", "regress")}  # may not exist yet
# what ./ and ../ paths must end in to be checked: a document or a source
REL_EXT = (".c", ".h", ".md", ".sh", ".py", ".1", ".5", ".ps1", ".psm1", "/")
INCLUDE = re.compile(r'#\s*include\s*"')
TEXT_EXT = (".c", ".h", ".md", ".sh", ".py", ".1", ".5", ".ps1", ".psm1",
            ".service", ".bash-completion", ".yaml", ".yml")
# a component that is a placeholder for a name, not a name
PLACEHOLDER = re.compile(r"NNN|NAME|TARGET|KIND|FILE|VERSION|ARCH|PREFIX|"
                         r"STATE_DIR|BUILD_DIR|MODULE|SUITE|LAUNCHER")
PATH = re.compile(r"(?<![\w./~$@:-])((?:\.\.?/)*[A-Za-z0-9_.-]+"
                  r"(?:/[A-Za-z0-9_.+@-]+)+/?)")
BARE_MD = re.compile(r"(?<![\w./~$@:-])([A-Za-z0-9_-]+\.md)\b")
MAN = re.compile(r"\b(vmrecon[\w.-]*)\(([1-9])\)")
XR = re.compile(r"^\.Xr (vmrecon[\w.-]*) ([1-9])\b")
# built from parts, so this file does not cite it itself
OLD_CITE = re.compile("DESIGN" + r"\s*" + "\u00a7")


def files(top):
    for d, dirs, names in os.walk(top):
        rel = os.path.relpath(d, top)
        rel = "" if rel == "." else rel
        dirs[:] = sorted(x for x in dirs
                         if os.path.join(rel, x) not in SKIP_DIRS)
        for n in sorted(names):
            p = os.path.join(d, n)
            if n.endswith(TEXT_EXT) or n == "Makefile":
                yield p
            elif "." not in n and os.path.isfile(p):
                try:
                    with open(p, "rb") as f:
                        if f.read(2) == b"#!":
                            yield p
                except OSError:
                    pass


def main():
    top = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else ".")
    man_pages = set()
    for d, dirs, names in os.walk(top):
        dirs[:] = [x for x in dirs if x not in (".git", "build")]
        man_pages.update(n for n in names if re.search(r"\.[1-9]$", n))
    bad, checked, nfiles = [], 0, 0
    ignored = set()  # .gitignore's anchored names: the build's outputs
    try:
        for g in open(os.path.join(top, ".gitignore")):
            g = g.strip()
            if g.startswith("/") and not any(c in g for c in "*?["):
                ignored.add(os.path.join(top, g.strip("/")))
    except OSError:
        pass

    def exists(base, ref):
        p = os.path.realpath(os.path.join(base, ref))
        inside = p == top or p.startswith(top + os.sep)
        if not inside:
            return False
        if ref.endswith("/"):
            return os.path.isdir(p)
        return (os.path.exists(p) or os.path.exists(p + ".c") or
                any(p == i or p.startswith(i + os.sep) for i in ignored))

    for path in files(top):
        nfiles += 1
        here = os.path.dirname(path)
        rel = os.path.relpath(path, top)
        try:
            lines = open(path, encoding="utf-8", errors="replace").read()
        except OSError as e:
            bad.append(f"{rel}: cannot read: {e}")
            continue
        for n, line in enumerate(lines.split("\n"), 1):
            where = f"{rel}:{n}"
            if OLD_CITE.search(line):
                bad.append(f"{where}: cites 'DESIGN \u00a7', a document outside"
                           f" the repository: name the file instead")
            if INCLUDE.search(line):
                continue
            for m in PATH.finditer(line):
                ref = m.group(1).rstrip(".:,-")
                nxt = line[m.end():m.end() + 1]
                if nxt and nxt in "<*{$[%(":
                    continue  # cmd_<name>.c, a glob, $(VAR)
                parts = [p for p in ref.split("/") if p not in ("", ".", "..")]
                if not parts or any(PLACEHOLDER.search(p) for p in parts):
                    continue
                first = parts[0]
                if ref.startswith(("./", "../")):
                    if not ref.endswith(REL_EXT):
                        continue  # data: ../x, ./qmp.sock, ../lib/vmrecon
                    bases = [here]
                elif first in TOP_DIRS:
                    bases = [top, here]
                elif os.path.isdir(os.path.join(here, first)) and \
                        here != top:
                    bases = [here]
                else:
                    continue  # another project's path, or none
                checked += 1
                if not any(exists(b, ref) for b in bases):
                    bad.append(f"{where}: '{ref}' names no file in the "
                               f"repository")
            for m in BARE_MD.finditer(line):
                ref = m.group(1)
                if PLACEHOLDER.search(ref[:-3]):
                    continue
                checked += 1
                if not (exists(here, ref) or exists(top, ref)):
                    bad.append(f"{where}: '{ref}' is neither beside "
                               f"{rel} nor at the top")
            for rx in (MAN, XR):
                for m in rx.finditer(line):
                    page = f"{m.group(1)}.{m.group(2)}"
                    checked += 1
                    if page not in man_pages:
                        bad.append(f"{where}: '{m.group(1)}({m.group(2)})': "
                                   f"no manual page {page} in the repository")
    for b in bad:
        print(b)
    print(f"# {checked} references checked in {nfiles} files, "
          f"{len(bad)} bad", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
