#!/usr/bin/env python3
"""examples/fleet/fleet-status.py - the state of every host of a fleet, read
from the Git host's commit statuses (no server of its own).

Each `vmrecon watch --commit-status github|gitea` posts, on every commit it
handles, a status with the context vmrecon/<hostname>: pending while it
applies, then success ("applied", "no change for this host") or failure.
So the combined status of the tracked commit is the fleet's state: this
script prints one line per host and exits 0 only when every host reports
success on that commit.

    fleet-status.py --api gitea --base https://gitea.example/api/v1 \\
        --repo ops/fleet [--ref main] [--token-file FILE] [--hosts-dir DIR]
    fleet-status.py --api github --repo ops/fleet --token-file FILE

--hosts-dir names the hosts that should report (one NAME.yaml each, as in
examples/fleet/hosts): a host without a status on the commit is listed as
"missing" (not polled yet, down, or not reporting).

The request is GitHub's "combined status for a reference",
GET {base}/repos/{owner}/{repo}/commits/{ref}/status, which Gitea serves
too (its statuses name the state "status" where GitHub says "state"); it
holds the latest status of each context.  Pages of 100 (GitHub's
per_page) or 50 (Gitea's default limit) are read until total_count.
"""
import argparse
import json
import os
import ssl
import sys
import urllib.parse
import urllib.request

PREFIX = "vmrecon/"
MAX_PAGES = 1000  # 50,000 hosts at Gitea's page size: a bound, not a goal
MAX_BODY = 8 << 20


def get(url, token, api, ctx):
    req = urllib.request.Request(url, headers={
        "Accept": "application/vnd.github+json" if api == "github"
        else "application/json",
        "User-Agent": "vmrecon-fleet-status"})
    if token:
        req.add_header("Authorization", ("Bearer %s" if api == "github"
                                         else "token %s") % token)
    with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
        body = r.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise ValueError("answer larger than %d bytes" % MAX_BODY)
    return json.loads(body)


def statuses(args, token, ctx):
    """{host: status dict} from the combined status of args.ref, and the
    commit it resolved to."""
    owner_repo = "/".join(urllib.parse.quote(p, safe="")
                          for p in args.repo.split("/", 1))
    base = "%s/repos/%s/commits/%s/status" % (
        args.base.rstrip("/"), owner_repo,
        urllib.parse.quote(args.ref, safe=""))
    size = 100 if args.api == "github" else 50
    hosts, sha, seen = {}, None, 0
    for page in range(1, MAX_PAGES + 1):
        doc = get("%s?per_page=%d&limit=%d&page=%d" %
                  (base, size, size, page), token, args.api, ctx)
        if not isinstance(doc, dict):
            raise ValueError("not a combined status")
        sha = sha or doc.get("sha")
        items = doc.get("statuses") or []
        for st in items:
            c = st.get("context") or ""
            if c.startswith(PREFIX) and c[len(PREFIX):] not in hosts:
                hosts[c[len(PREFIX):]] = st
        seen += len(items)
        if not items or len(items) < size or \
                seen >= int(doc.get("total_count") or 0):
            break
    return hosts, sha


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--api", choices=("github", "gitea"), required=True)
    ap.add_argument("--base", help="API base (default for github: "
                    "https://api.github.com)")
    ap.add_argument("--repo", required=True, help="owner/name")
    ap.add_argument("--ref", default="main")
    ap.add_argument("--token-file")
    ap.add_argument("--ca-file")
    ap.add_argument("--hosts-dir")
    ap.add_argument("-o", "--output", choices=("text", "json"),
                    default="text")
    args = ap.parse_args()
    if not args.base:
        if args.api != "github":
            ap.error("--base is required for gitea (https://HOST/api/v1)")
        args.base = "https://api.github.com"
    token = None
    if args.token_file:
        with open(args.token_file) as f:
            token = f.read().strip()
    ctx = ssl.create_default_context(cafile=args.ca_file)
    try:
        hosts, sha = statuses(args, token, ctx)
    except (OSError, ValueError) as e:
        print("fleet-status: %s" % e, file=sys.stderr)
        return 2
    want = set(hosts)
    if args.hosts_dir:
        want |= {f[:-5] for f in os.listdir(args.hosts_dir)
                 if f.endswith(".yaml")}
    rows = []
    for h in sorted(want):
        st = hosts.get(h)
        state = (st.get("state") or st.get("status")) if st else "missing"
        rows.append({"host": h, "state": state,
                     "description": st.get("description") if st else
                     "no status on this commit",
                     "updated": st.get("updated_at") if st else None})
    bad = [r for r in rows if r["state"] != "success"]
    if args.output == "json":
        json.dump({"ref": args.ref, "sha": sha, "hosts": rows}, sys.stdout,
                  indent=1)
        print()
    else:
        print("%-24s %-8s %-32s %s" % ("HOST", "STATE", "DESCRIPTION",
                                      "UPDATED"))
        for r in rows:
            print("%-24s %-8s %-32s %s" % (r["host"], r["state"],
                                          (r["description"] or "")[:32],
                                          r["updated"] or "-"))
        counts = {}
        for r in rows:
            counts[r["state"]] = counts.get(r["state"], 0) + 1
        print("%d hosts on %s (%s): %s" % (
            len(rows), args.ref, (sha or "?")[:12],
            ", ".join("%d %s" % (n, s) for s, n in sorted(counts.items()))))
    return 1 if bad or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
