#!/usr/bin/python3
"""docblocks.py - run every shell block the docs mark runnable.

    docblocks.py TOP SCRATCH DOC...

A block is marked runnable by its fence's info string, ```sh runnable
(tests/README.md, "Docs").  Each block runs in bash, in a directory of its
own under SCRATCH holding a copy of TOP's examples/, with `vmrecon` on
PATH ($VMRECON), a home, a config and a state dir of its own
(VMRECON_STATE_DIR) and no backend named: what a new user types, on the
simulated host.  Every command (a line, with the lines a trailing \\
continues) must exit 0, or N when its comment says `exits N`.  One line
per block: `ok - DOC:LINE: ...`, or `not ok - DOC:LINE: ...` naming the
command's own line, its exit and what it printed last.  Exit 1 when a
block failed.
"""
import os
import re
import shutil
import subprocess
import sys

FENCE = re.compile(r"^```sh runnable\s*$")
WANT = re.compile(r"\s#.*\bexits (\d+)\b")


def blocks(doc):
    """(line of the fence, [(line, command text)]) for each runnable block"""
    out, cur, start, cmd, cmd_line = [], None, 0, [], 0
    for n, line in enumerate(open(doc, encoding="utf-8").read().split("\n"), 1):
        if cur is None:
            if FENCE.match(line):
                cur, start = [], n
            continue
        if line.startswith("```"):
            out.append((start, cur))
            cur = None
            continue
        if not cmd:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cmd_line = n
        cmd.append(line)
        if not line.endswith("\\"):
            cur.append((cmd_line, "\n".join(cmd)))
            cmd = []
    if cur is not None:
        out.append((start, cur + [(start, "# the block is never closed\nfalse")]))
    return out


def script(doc, cmds, why):
    s = ["set -u"]
    for n, c in cmds:
        m = WANT.search(c.split("\n")[-1])
        want = m.group(1) if m else "0"
        first = c.split("\n")[0].strip().replace("'", "'\\''")
        s.append(c)
        s.append(f"__rc=$?; [ $__rc -eq {want} ] || {{ printf '%s\\n' "
                 f"'{doc}:{n}: '\"exit $__rc, wanted {want}\"': {first}' "
                 f">'{why}'; "
                 f"exit 1; }}")
    return "\n".join(s) + "\n"


def main():
    top, scratch, docs = sys.argv[1], sys.argv[2], sys.argv[3:]
    vmrecon = os.environ["VMRECON"]
    failed, nblocks = 0, 0
    bindir = os.path.join(scratch, "bin")
    os.makedirs(bindir, exist_ok=True)
    link = os.path.join(bindir, "vmrecon")
    if not os.path.lexists(link):
        os.symlink(vmrecon, link)
    for doc in docs:
        rel = os.path.relpath(doc, top) if doc.startswith(top + "/") else doc
        for start, cmds in blocks(doc):
            nblocks += 1
            d = os.path.join(scratch, f"b{nblocks}")
            shutil.copytree(os.path.join(top, "examples"),
                            os.path.join(d, "examples"), symlinks=True)
            for sub in ("home", "config", "state"):
                os.makedirs(os.path.join(d, sub), mode=0o700, exist_ok=True)
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith("VMRECON_")}
            env.update(PATH=bindir + ":" + os.environ["PATH"],
                       HOME=os.path.join(d, "home"),
                       XDG_CONFIG_HOME=os.path.join(d, "config"),
                       XDG_STATE_HOME=os.path.join(d, "state"),
                       VMRECON_CONFIG="/dev/null",
                       VMRECON_STATE_DIR=os.path.join(d, "state"))
            with open(os.path.join(d, "block.sh"), "w") as f:
                f.write(script(rel, cmds, os.path.join(d, "why")))
            with open(os.path.join(d, "out"), "w") as out:
                rc = subprocess.call(["bash", "block.sh"], cwd=d, env=env,
                                     stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT)
            try:
                reason = open(os.path.join(d, "why")).read().strip()
            except FileNotFoundError:
                reason = ""
            if rc == 0 and not reason:
                print(f"ok - {rel}:{start}: its {len(cmds)} commands ran, "
                      f"each with the exit it says")
                continue
            failed += 1
            print(f"not ok - {reason or f'{rel}:{start}: exit {rc}'}")
            tail = open(os.path.join(d, "out")).read().splitlines()[-5:]
            for t in tail:
                print(f"#   {t}")
    print(f"# {nblocks} runnable blocks in {len(docs)} documents",
          file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
