#!/usr/bin/python3
"""optcheck.py - compare the option table with one place that documents it.

    optcheck.py help       TABLE HELPDIR
    optcheck.py man        TABLE MANPAGE
    optcheck.py completion TABLE COMPLETION BACKENDS
    optcheck.py backends   TABLE HELPDIR MANPAGE README BACKENDS   (README: backends/README.md)
    optcheck.py commands   TABLE COMMANDS MANPAGE COMPLETION USAGE

TABLE is the output of build/*/tools/optdump (one line per command and
option).  HELPDIR holds CMD.txt, the output of `vmrecon CMD --help`, for
each command.  BACKENDS is the space-separated list `optdump backends`
prints, COMMANDS the list `optdump commands` prints (the command table,
reconciler/cli/commands.h) and USAGE the output of `vmrecon help`.
Prints one "# mismatch: ..." line per difference and exits 1 if
there is any, else 0; tests/e2e/t0120-options.sh turns that into ok/not ok.

What is compared, per command:
  help        the usage line (required options bare, the others in [...])
              and the option list: names, short letters, arguments,
              "(required)" and "(default: X)";
  man         the SYNOPSIS block of the command (.Fl for required, .Op
              for the others, short letter where there is one, an enum's
              .Cm values) and, under OPTIONS, one .It item per option
              naming its short letter and holding its default;
  completion  what _vmrecon offers after "CMD -" (every long option and
              short letter) and after each option: files for a path, a
              directory for a dir, the values of an enum, the backend
              kinds for --backend, nothing for anything else;
  backends    every backend kind in the registry (`optdump backends`:
              built or not), and no other,
              named in --backend's help (the line and those it wraps
              onto) and in --help's list of TARGETs, as a .Cm of the man page's
              --backend item, and as a row of the first table of README
              (backends/README.md, the backends' guide);
  commands    every command of the command table, and no other, in
              `vmrecon help` (in the table's order), as a SYNOPSIS block
              and an .It Cm item under COMMANDS of the man page, and
              among the words the completion offers after "vmrecon ";
              and every command of TABLE (those taking options) is one.
"""
import os
import re
import subprocess
import sys
import tempfile

problems = []


def bad(msg):
    problems.append(msg)


def load_table(path):
    rows = {}
    for line in open(path):
        cmd, name, letter, typ, meta, default, req = line.rstrip("\n").split("\t")
        rows.setdefault(cmd, {})[name] = {
            "letter": None if letter == "-" else letter, "type": typ,
            "meta": None if meta == "-" else meta,
            "default": None if default == "-" else default,
            "required": req == "1"}
    return rows


def by_letter(opts, letter):
    for name, o in opts.items():
        if o["letter"] == letter:
            return name
    return None


# ---- --help ---------------------------------------------------------------

def top_level_items(text):
    """Split a usage line into items, keeping [...] groups whole."""
    items, cur, depth = [], "", 0
    for ch in text:
        if ch.isspace() and depth == 0:
            if cur:
                items.append(cur)
            cur = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        cur += ch
    if cur:
        items.append(cur)
    return items


def check_help(table, helpdir):
    for cmd, opts in table.items():
        path = os.path.join(helpdir, cmd + ".txt")
        if not os.path.exists(path):
            bad(f"{cmd} --help: no output")
            continue
        lines = open(path).read().split("\n")
        usage = []
        for line in lines:
            if not line.strip():
                break
            usage.append(line.strip())
        text = " ".join(usage)
        want = f"usage: vmrecon {cmd}"
        if not text.startswith(want):
            bad(f"{cmd} --help: does not start with '{want}'")
            continue
        seen = {}
        for item in top_level_items(text[len(want):]):
            optional = item.startswith("[")
            word = item.strip("[]").split(" ")[0]
            if not word.startswith("-"):
                continue
            name = word[2:] if word.startswith("--") else by_letter(opts, word[1:])
            if name is None or name not in opts:
                bad(f"{cmd} --help: usage names {word}, which {cmd} does not take")
                continue
            seen[name] = optional
        for name, o in opts.items():
            if name == "help":
                continue
            if name not in seen:
                bad(f"{cmd} --help: usage lacks --{name}")
            elif seen[name] == o["required"]:
                bad(f"{cmd} --help: usage shows --{name} as "
                    f"{'optional' if seen[name] else 'required'}")
        # the option list
        try:
            start = lines.index("options:") + 1
        except ValueError:
            bad(f"{cmd} --help: no 'options:' list")
            continue
        entries, cur = [], None
        for line in lines[start:]:
            m = re.match(r"^  (?:-(\w), |    )--([\w-]+)(?: (\S+))?(.*)$", line)
            if m:
                cur = [m.group(1), m.group(2), m.group(3), m.group(4).strip()]
                entries.append(cur)
            elif cur and line.startswith(" " * 20):
                cur[3] += " " + line.strip()
        listed = set()
        for letter, name, meta, body in entries:
            listed.add(name)
            o = opts.get(name)
            if not o:
                bad(f"{cmd} --help: lists --{name}, which {cmd} does not take")
                continue
            if letter != o["letter"]:
                bad(f"{cmd} --help: --{name} has short -{letter}, the table -{o['letter']}")
            if meta != o["meta"]:
                bad(f"{cmd} --help: --{name} takes '{meta}', the table '{o['meta']}'")
            body = body.strip()
            if o["required"] and not body.endswith("(required)"):
                bad(f"{cmd} --help: --{name} is not marked (required)")
            m = re.search(r"\(default: ([^;)]*)(;[^)]*)?\)$", body)
            got = m.group(1) if m else None
            if got != o["default"]:
                bad(f"{cmd} --help: --{name} default '{got}', the table '{o['default']}'")
        for name in opts:
            if name not in listed:
                bad(f"{cmd} --help: does not list --{name}")


# ---- the man page -----------------------------------------------------------

MACROS = {"Ns", "Li", "Ar", "Fl", "Cm", "Pa", "Ql", "Dq", "Pq", "Op", "No",
          "Ev", "Sx", "Xr", "Em", "Nm", "Sy", "Va", "It", "Bd", "Ed", "Pp",
          "Oo", "Oc", "Qq", "Sq"}


def words(text):
    out = []
    for w in text.replace("\\&", "").split():
        if w.lstrip(".") in MACROS:
            continue
        w = w.strip(".,;:()")
        if w:
            out.append(w)
    return out


def contains_run(hay, needle):
    n = len(needle)
    return any(hay[i:i + n] == needle for i in range(len(hay) - n + 1))


def flags_of(line):
    """The Fl arguments of an mdoc line: ('-name' or 'x')."""
    toks = line.split()
    return [toks[i + 1] for i in range(len(toks) - 1) if toks[i] in ("Fl", ".Fl")]


def cm_words(line):
    toks = line.split()
    return [toks[i + 1] for i in range(len(toks) - 1) if toks[i] in ("Cm", ".Cm")]


def section(lines, name):
    try:
        a = lines.index(".Sh " + name)
    except ValueError:
        return []
    b = next((i for i in range(a + 1, len(lines)) if lines[i].startswith(".Sh ")),
             len(lines))
    return lines[a + 1:b]


def check_man(table, manpage):
    lines = open(manpage).read().split("\n")
    # SYNOPSIS: blocks of ".Nm", ".Cm CMD[ Ns | Ns Cm CMD2]", one option a line
    blocks, cur = {}, None
    for line in section(lines, "SYNOPSIS"):
        if line == ".Nm":
            cur = "new"
        elif cur == "new" and line.startswith(".Cm "):
            cur = {}
            for c in cm_words(line):
                blocks[c] = cur
        elif line.startswith(".Pp") or line.startswith(".Sh"):
            cur = None
        elif isinstance(cur, dict) and (line.startswith(".Op ") or line.startswith(".Fl ")):
            fl = flags_of(line)
            if fl:
                cur[fl[0]] = (line.startswith(".Fl "), cm_words(line))
    for cmd, opts in table.items():
        if cmd not in blocks:
            bad(f"vmrecon.1 SYNOPSIS: no block for {cmd}")
            continue
        got = dict(blocks[cmd])
        for name, o in opts.items():
            if name == "help":
                continue
            key = o["letter"] or "-" + name
            if key not in got:
                also = f" (as -{o['letter']})" if o["letter"] else ""
                bad(f"vmrecon.1 SYNOPSIS: {cmd} lacks --{name}{also}")
                continue
            required, cms = got.pop(key)
            if required != o["required"]:
                bad(f"vmrecon.1 SYNOPSIS: {cmd} shows --{name} as "
                    f"{'required' if required else 'optional'}")
            if o["type"] == "enum" and cms != o["meta"].split("|"):
                bad(f"vmrecon.1 SYNOPSIS: {cmd} --{name} values {cms}, the table {o['meta']}")
        for key in got:
            bad(f"vmrecon.1 SYNOPSIS: {cmd} shows {key if key.startswith('-') else '-' + key}"
                f", which {cmd} does not take (or not by that name)")
    # OPTIONS: the .It items of the lists directly under it
    items, depth, cur = [], 0, None
    for line in section(lines, "OPTIONS"):
        if line.startswith(".Bl"):
            depth += 1
        elif line.startswith(".El"):
            depth -= 1
            if depth == 0:
                cur = None
        elif depth == 1 and line.startswith(".It "):
            cur = [line, []]
            items.append(cur)
            continue
        if cur is not None:
            cur[1].append(line)
    documented = {}
    for it, body in items:
        fl = flags_of(it)
        longs = [f[1:] for f in fl if f.startswith("-")]
        shorts = [f for f in fl if not f.startswith("-")]
        text = words(it + " " + " ".join(body))
        for name in longs:
            documented.setdefault(name, []).append(
                (shorts[0] if len(shorts) == 1 and len(longs) == 1 else None, text))
        if shorts and len(longs) != 1:
            bad(f"vmrecon.1 OPTIONS: '{it}' pairs short and long options ambiguously")
    names = {n for opts in table.values() for n in opts}
    for name in sorted(set(documented) - names):
        bad(f"vmrecon.1 OPTIONS: documents --{name}, which no command takes")
    for cmd, opts in table.items():
        for name, o in opts.items():
            if name not in documented:
                bad(f"vmrecon.1 OPTIONS: no .It item for --{name}")
                continue
            letters = {l for l, _ in documented[name] if l}
            if o["letter"] and o["letter"] not in letters:
                bad(f"vmrecon.1 OPTIONS: --{name} is not given with -{o['letter']}")
            if not o["letter"] and letters:
                bad(f"vmrecon.1 OPTIONS: --{name} has short {letters}, the table none")
            if o["default"] and not any(contains_run(t, words(o["default"]))
                                        for _, t in documented[name]):
                bad(f"vmrecon.1 OPTIONS: --{name}'s item lacks its default "
                    f"'{o['default']}' ({cmd})")


# ---- the bash completion ------------------------------------------------------

def check_completion(table, completion, backends):
    tmp = tempfile.TemporaryDirectory(prefix="optcheck-")
    work = tmp.name
    open(os.path.join(work, "zz-file"), "w").close()
    os.mkdir(os.path.join(work, "zz-dir"))
    script = [f"source {shq(completion)}", f"cd {shq(work)}",
              'c() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); '
              'COMPREPLY=(); _vmrecon; echo "${COMPREPLY[*]}"; }']
    asks = []
    for cmd, opts in table.items():
        asks.append((cmd, None, None))
        script.append(f"c vmrecon {cmd} -")
        for name, o in opts.items():
            if o["type"] == "none":
                continue
            forms = ["--" + name] + (["-" + o["letter"]] if o["letter"] else [])
            cur = "" if o["type"] == "enum" or name == "backend" else "zz"
            for form in forms:
                asks.append((cmd, name, form))
                script.append(f"c vmrecon {cmd} {form} {shq(cur)}")
    out = subprocess.run(["bash", "-c", "\n".join(script)], capture_output=True,
                         text=True)
    got = out.stdout.split("\n")
    if out.returncode != 0 or len(got) < len(asks):
        bad(f"completion: bash failed: {out.stderr.strip()[:200]}")
        return
    for (cmd, name, form), line in zip(asks, got):
        offered = set(line.split())
        if name is None:
            want = set()
            for n, o in table[cmd].items():
                want.add("--" + n)
                if o["letter"]:
                    want.add("-" + o["letter"])
            for w in sorted(want - offered):
                bad(f"completion: '{cmd} -' does not offer {w}")
            for w in sorted(offered - want):
                bad(f"completion: '{cmd} -' offers {w}, which {cmd} does not take")
            continue
        o = table[cmd][name]
        if name == "backend":
            if not set(backends.split()) <= offered:
                bad(f"completion: '{cmd} {form}' offers {sorted(offered)}, "
                    f"not every backend of {backends!r}")
            continue
        want = {"path": {"zz-file", "zz-dir"}, "dir": {"zz-dir"},
                "enum": set((o["meta"] or "").split("|"))}.get(o["type"], set())
        if offered != want:
            bad(f"completion: '{cmd} {form}' ({o['type']}) offers {sorted(offered)}, "
                f"wanted {sorted(want)}")


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


def check_backends(table, helpdir, manpage, readme, backends):
    want = set(backends.split())
    if not want:
        bad("backends: the registry listed none")
    cmd = next((c for c, opts in table.items() if "backend" in opts), None)
    if cmd is None:
        bad("backends: no command takes --backend")
        return
    lines = open(os.path.join(helpdir, cmd + ".txt")).read().split("\n")
    at = next((i for i, ln in enumerate(lines)
               if ln.lstrip().startswith(("-b,", "--backend "))), None)
    entry = ""
    if at is not None:  # the option's line and the lines it wraps onto
        entry = lines[at].split("  ", 2)[-1]
        for ln in lines[at + 1:]:
            if not ln.startswith(" " * 20):
                break
            entry += " " + ln.strip()
    said = set(re.findall(r"\b[a-z]+\b", entry))
    for b in sorted(want - said):
        bad(f"{cmd} --help: --backend does not name the {b} backend")
    try:  # and what TARGET is, for each
        start = next(i for i, ln in enumerate(lines)
                     if ln.startswith("backends, and what TARGET is"))
        listed = {ln.split()[0] for ln in lines[start + 1:]
                  if re.match(r"^  \w", ln)}
    except StopIteration:
        listed = set()
    for b in sorted(want - listed):
        bad(f"{cmd} --help: the list of TARGETs lacks the {b} backend")
    man = open(manpage).read()
    m = re.search(r"^\.It Fl b Ar kind.*?(?=^\.It )", man, re.M | re.S)
    item = set(re.findall(r"^\.Cm (\w+)", m.group(0), re.M)) if m else set()
    if not m:
        bad("man: no .It item for --backend")
    for b in sorted(want - item):
        bad(f"man: the --backend item lacks .Cm {b}")
    for b in sorted(item - want):
        bad(f"man: the --backend item names {b}, which vmrecon lacks")
    text = open(readme).read()
    sec = text.split("\n## ", 1)[0]  # the guide's top, before its sections
    table_lines, started = [], False  # its first table
    for ln in sec.split("\n"):
        if ln.startswith("|"):
            started = True
            table_lines.append(ln)
        elif started:
            break
    rows = set(re.findall(r"^\| `(\w+)`", "\n".join(table_lines), re.M))
    for b in sorted(want - rows):
        bad(f"backends/README.md: the Backends table has no row for {b}")
    for b in sorted(rows - want):
        bad(f"backends/README.md: the Backends table has a row for {b}, which "
            f"vmrecon lacks")


def check_commands(table, commands, manpage, completion, usage):
    want = commands.split()
    if not want:
        bad("commands: the command table listed none")
    for cmd in table:
        if cmd not in want:
            bad(f"commands: {cmd} takes options but is not in the command table")
    lines = open(usage).read().split("\n")
    start = lines.index("commands:") + 1 if "commands:" in lines else len(lines)
    listed = []
    for ln in lines[start:]:
        if not ln.startswith("  "):
            break
        listed.append(ln.split()[0])
    if listed != want:
        bad(f"vmrecon help: lists {listed}, the command table {want}")
    man = open(manpage).read().split("\n")
    synopsis, fresh = [], False
    for ln in section(man, "SYNOPSIS"):
        if fresh and ln.startswith(".Cm "):
            synopsis += [w for w in cm_words(ln) if w != "|"][:1]
        fresh = ln == ".Nm"
    depth, items = 0, []
    for ln in section(man, "COMMANDS"):
        if ln.startswith(".Bl"):
            depth += 1
        elif ln.startswith(".El"):
            depth -= 1
        elif depth == 1 and ln.startswith(".It Cm "):
            items.append(ln.split()[2])
    for what, got in (("SYNOPSIS", set(synopsis)), ("COMMANDS", set(items))):
        for c in want:
            if c not in got:
                bad(f"vmrecon.1 {what}: no {c}")
        for c in sorted(got - set(want)):
            bad(f"vmrecon.1 {what}: names {c}, which is not in the command table")
    script = (f"source {shq(completion)}\n"
              'COMP_WORDS=(vmrecon ""); COMP_CWORD=1; COMPREPLY=(); _vmrecon\n'
              'echo "${COMPREPLY[*]}"')
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    if out.returncode != 0:
        bad(f"completion: bash failed: {out.stderr.strip()[:200]}")
        return
    offered = {w for w in out.stdout.split() if not w.startswith("-")}
    for c in want:
        if c not in offered:
            bad(f"completion: 'vmrecon ' does not offer {c}")
    for c in sorted(offered - set(want)):
        bad(f"completion: 'vmrecon ' offers {c}, which is not in the command table")


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    what, table = sys.argv[1], load_table(sys.argv[2])
    if what == "help":
        check_help(table, sys.argv[3])
    elif what == "man":
        check_man(table, sys.argv[3])
    elif what == "backends" and len(sys.argv) > 6:
        check_backends(table, *sys.argv[3:7])
    elif what == "commands" and len(sys.argv) > 6:
        check_commands(table, *sys.argv[3:7])
    elif what == "completion":
        check_completion(table, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in problems:
        print("# mismatch: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
