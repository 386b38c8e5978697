#!/usr/bin/python3
"""tests/bench/fleet.py - a fleet of `vmrecon watch` daemons on one Git server.

N daemons, each with its own state dir, sim file and --hostname host-NNNN,
pull hosts/{hostname}.yaml from one repository served on 127.0.0.1 by
lighttpd + git http-backend (smart HTTP, even hosts) and by git daemon
(git://, odd hosts).  Measured, from the servers' own logs and the daemons'
log lines:

  converge   commit -> every host applied it (p50, p95, max)
  noop       requests per no-op poll (exactly, with `watch --once` on a
             spare state dir; and in the fleet: requests in a window / the
             polls expected in it, hosts x window / interval), the servers'
             CPU seconds (lighttpd and git daemon with their reaped
             children, from /proc/PID/stat) per poll
  outage     both servers stopped for --outage seconds while a commit is
             pushed, then started again: time until every host applied it,
             peak requests per second after the return
  disk       the mirror's size after --commits commits fetched one by one

    fleet.py [--hosts N] [--interval 10s] [--outage 60] [--window 30]
             [--commits 100] [--json FILE] [--test]

--test (t0650): a short run, no disk row, outage until every host has seen
its fetch fail.  Every wait has a deadline derived from the interval and a
measured clone; the exit status is 1 when a measurement could not be made.
VR_BUILD picks the build dir (default build/rel); BENCH_KEEP=1 keeps the
scratch dir.
"""
import argparse
import calendar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.path.join(TOP, os.environ.get("VR_BUILD", "build/rel"))
VMRECON = os.path.join(BUILD, "vmrecon")
BACKEND = "/usr/lib/git-core/git-http-backend"
ENV = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null",
           GIT_AUTHOR_NAME="fleet", GIT_AUTHOR_EMAIL="fleet@example.com",
           GIT_COMMITTER_NAME="fleet", GIT_COMMITTER_EMAIL="fleet@example.com")
TICK = os.sysconf("SC_CLK_TCK")
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z ")
ACCESS_TIME = re.compile(r"\[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d) ([+-]\d{4})\]")


def log(msg):
    print("# " + msg, file=sys.stderr, flush=True)


HELD_PORTS = []


def free_port():
    """A port on 127.0.0.1 kept for this process: a socket bound to it
    (SO_REUSEADDR, never listening) stays open, so the kernel gives it to
    no other bind(0) or outgoing connection (tests run side by side, and
    the servers are stopped and started again on it), while the servers,
    which set SO_REUSEADDR too, listen on it (tests/lib.sh's free_port)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    HELD_PORTS.append(s)
    return s.getsockname()[1]


def duration_s(text):
    m = re.fullmatch(r"(\d+)(ms|s|m)", text)
    if not m:
        raise SystemExit("fleet.py: bad duration '%s'" % text)
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60}[m.group(2)]


def pct(v, p):
    s = sorted(v)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def git(*args, cwd=None):
    subprocess.run(["git"] + list(args), cwd=cwd, env=ENV, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until(what, deadline_s, check, step=0.2):
    """Poll check() until true or the deadline; True if it became true."""
    end = time.time() + deadline_s
    while time.time() < end:
        if check():
            return True
        time.sleep(step)
    log("deadline of %.0f s passed waiting for %s" % (deadline_s, what))
    return check()


def cpu_s(pid):
    """utime + stime + cutime + cstime of pid, in seconds (children that
    pid has reaped included: CGI processes, upload-pack)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / TICK
    except OSError:
        return None


class Servers:
    """lighttpd + git http-backend and git daemon on fixed ports, so that
    they can be stopped and started again at the same URLs."""

    def __init__(self, top, srv, keep_alive_idle):
        self.top, self.srv = top, srv
        self.hport, self.gport = free_port(), free_port()
        self.access = os.path.join(top, "access.log")
        self.daemon_lines = []  # (time, line) of git daemon --verbose
        self.cpu_done = 0.0     # CPU of server processes already stopped
        self.conf = os.path.join(top, "lighttpd.conf")
        with open(self.conf, "w") as f:
            f.write("""server.modules = ( "mod_alias", "mod_cgi", "mod_setenv",
	"mod_accesslog" )
server.document-root = "%(srv)s"
server.bind = "127.0.0.1"
server.port = %(port)d
server.errorlog = "%(top)s/lighttpd-error.log"
server.max-connections = 4096
server.max-fds = 8192
server.max-keep-alive-idle = %(idle)d
accesslog.filename = "%(access)s"
alias.url = ( "/git/" => "%(backend)s/" )
$HTTP["url"] =~ "^/git/" {
	cgi.assign = ( "" => "" )
	setenv.add-environment = ( "GIT_PROJECT_ROOT" => "%(srv)s",
		"GIT_HTTP_EXPORT_ALL" => "1" )
}
""" % {"srv": srv, "port": self.hport, "top": top, "access": self.access,
                "backend": BACKEND, "idle": keep_alive_idle})
        self.http_url = "http://127.0.0.1:%d/git/fleet.git" % self.hport
        self.git_url = "git://127.0.0.1:%d/fleet.git" % self.gport
        self.lighttpd = self.daemon = self.reader = None

    def _reader(self, pipe):
        for line in pipe:
            self.daemon_lines.append((time.time(), line))

    def start(self):
        self.lighttpd = subprocess.Popen(
            ["lighttpd", "-D", "-f", self.conf], env=ENV,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.daemon = subprocess.Popen(
            ["git", "daemon", "--verbose", "--reuseaddr",
             "--listen=127.0.0.1", "--port=%d" % self.gport, "--export-all",
             "--max-connections=0", "--base-path=" + self.srv, self.srv],
            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)
        self.reader = threading.Thread(target=self._reader,
                                       args=(self.daemon.stderr,),
                                       daemon=True)
        self.reader.start()
        for port in (self.hport, self.gport):
            if not wait_until("port %d" % port, 20,
                              lambda: connectable(port), 0.05):
                raise RuntimeError("a server did not start on port %d" % port)

    def cpu(self):
        """CPU seconds of both servers since the first start."""
        now = [cpu_s(p.pid) for p in (self.lighttpd, self.daemon) if p]
        return self.cpu_done + sum(x for x in now if x)

    def stop(self):
        for p in (self.lighttpd, self.daemon):
            if p and p.poll() is None:
                c = cpu_s(p.pid)
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                self.cpu_done += c or 0.0
        if self.reader:
            self.reader.join(20)  # every line of the stopped git daemon
        self.lighttpd = self.daemon = self.reader = None

    def totals(self):
        """All requests so far: {"http": access log lines, "git": git
        daemon upload-pack requests (not its connections: start()'s
        probe is one)}.  Complete only with the servers stopped."""
        try:
            with open(self.access) as f:
                http = sum(1 for line in f if ACCESS_TIME.search(line))
        except FileNotFoundError:
            http = 0
        return {"http": http, "git": sum(
            1 for _, line in self.daemon_lines
            if "Request upload-pack" in line)}

    def requests(self, t0, t1):
        """Requests in [t0, t1) by whole second: (http, git) lists of
        timestamps.  lighttpd writes its access log every 4 s; call this
        more than 4 s after t1, or with the servers stopped."""
        http = []
        try:
            with open(self.access) as f:
                for line in f:
                    m = ACCESS_TIME.search(line)
                    if not m:
                        continue
                    t = calendar.timegm(time.strptime(m.group(1),
                                                      "%d/%b/%Y:%H:%M:%S"))
                    off = int(m.group(2))
                    t -= (off // 100 * 3600 + off % 100 * 60) * \
                        (1 if off >= 0 else -1)
                    if int(t0) <= t < t1:
                        http.append(t)
        except FileNotFoundError:
            pass
        gits = [int(t) for t, line in list(self.daemon_lines)
                if "Connection from" in line and int(t0) <= t < t1]
        return http, gits


def connectable(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        return True
    except OSError:
        return False


def host_yaml(cpus):
    return ("apiVersion: vmrecon/v1\nkind: VirtualMachine\nmetadata:\n"
            "  name: edge-01\nspec:\n  cpuCount: %d\n"
            "  restartPolicy: IfNeeded\n" % cpus)


class Fleet:
    def __init__(self, args):
        self.args = args
        self.n = args.hosts
        self.interval = duration_s(args.interval)
        self.t = tempfile.mkdtemp(prefix="fleet.", dir=os.path.join(
            TOP, "build")) if os.path.isdir(os.path.join(TOP, "build")) \
            else tempfile.mkdtemp(prefix="vr-fleet.")
        self.srv = os.path.join(self.t, "srv")
        self.bare = os.path.join(self.srv, "fleet.git")
        self.work = os.path.join(self.t, "work")
        self.names = ["host-%04d" % i for i in range(self.n)]
        self.procs = []
        self.logpos = {}
        self.results = {"hosts": self.n, "interval_s": self.interval,
                        "load_start": os.getloadavg()[0]}
        self.failed = []
        # --test: idle keep-alive connections closed after 1 s, shorter
        # than the interval, as a real server does with a real interval
        self.servers = Servers(self.t, self.srv, 1 if args.test else 5)

    # --- the repository ---------------------------------------------------

    def commit(self, cpus, msg, names=None):
        for name in names or self.names:
            with open(os.path.join(self.work, "hosts", name + ".yaml"),
                      "w") as f:
                f.write(host_yaml(cpus))
        git("add", "-A", cwd=self.work)
        git("commit", "-q", "--allow-empty", "-m", msg, cwd=self.work)
        git("push", "-q", self.bare, "HEAD:main", cwd=self.work)
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=self.work,
                              env=ENV, check=True, text=True,
                              stdout=subprocess.PIPE).stdout.strip()

    def setup_repo(self):
        os.makedirs(os.path.join(self.work, "hosts"))
        git("init", "-q", "--bare", "-b", "main", self.bare)
        git("init", "-q", "-b", "main", self.work)
        with open(os.path.join(self.work, "README"), "w") as f:
            f.write("one file per host in hosts/\n")
        return self.commit(2, "fleet of %d hosts" % self.n)

    # --- the daemons --------------------------------------------------------

    def url(self, i):
        return self.servers.http_url if i % 2 == 0 else self.servers.git_url

    def state(self, i):
        return os.path.join(self.t, "hosts", self.names[i])

    def start_hosts(self):
        for i, name in enumerate(self.names):
            sd = self.state(i)
            os.makedirs(sd, mode=0o700)
            with open(os.path.join(sd, "log"), "w") as err:
                self.procs.append(subprocess.Popen(
                    [VMRECON, "watch", "--repo", self.url(i),
                     "--path", "hosts/{hostname}.yaml", "--hostname", name,
                     "--state-dir", sd, "--backend",
                     "sim:" + os.path.join(sd, "sim.json"),
                     "--metrics-file", os.path.join(sd, "metrics.prom"),
                     "--interval", self.args.interval,
                     "--max-backoff", self.args.max_backoff,
                     "--timeout", self.args.timeout],
                    env=ENV, stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=err))

    def stop_hosts(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def applied_at(self, i, sha):
        """When host i logged that it applied commit sha (epoch s), or
        None."""
        want = "revision=main@sha1:" + sha
        try:
            with open(os.path.join(self.state(i), "log")) as f:
                for line in f:
                    if " info applied " in line and want in line and \
                            "result=converged" in line:
                        m = LOG_TIME.match(line)
                        if m:
                            return calendar.timegm(time.strptime(
                                m.group(1), "%Y-%m-%dT%H:%M:%S")) + \
                                int(m.group(2)) / 1000.0
        except FileNotFoundError:
            pass
        return None

    def count_log(self, i, text):
        try:
            with open(os.path.join(self.state(i), "log")) as f:
                return sum(1 for line in f if text in line)
        except FileNotFoundError:
            return 0

    def wait_applied(self, sha, deadline_s, what):
        pending = set(range(self.n))
        got = {}

        def check():
            for i in list(pending):
                t = self.applied_at(i, sha)
                if t is not None:
                    got[i] = t
                    pending.discard(i)
            return not pending
        ok = wait_until(what, deadline_s, check, 0.3)
        if not ok:
            dead = [self.names[i] for i in pending
                    if self.procs[i].poll() is not None]
            self.fail(what, "%d of %d hosts did not apply %s in %.0f s%s" %
                      (len(pending), self.n, sha[:12], deadline_s,
                       "; exited: " + " ".join(dead[:5]) if dead else ""))
        return got

    def fail(self, what, why):
        log("NOT MEASURED: %s: %s" % (what, why))
        self.failed.append({"what": what, "why": why})

    # --- measurements --------------------------------------------------------

    def once_cost(self):
        """Exact server requests of one no-op poll and of one clone, per
        transport, with `watch --once` on spare state dirs.  Counted as
        the lines the servers' logs gained, not by timestamp: lighttpd
        stamps a request with a time it caches (seen a second old, so a
        window by time lost one poll in five under load) and writes its
        access log every 4 s; a stopped lighttpd has written all of it."""
        out = {}
        for kind, url in (("http", self.servers.http_url),
                          ("git", self.servers.git_url)):
            sd = os.path.join(self.t, "once-" + kind)
            argv = [VMRECON, "watch", "--once", "--repo", url, "--path",
                    "hosts/{hostname}.yaml", "--hostname", self.names[0],
                    "--state-dir", sd, "--backend",
                    "sim:" + os.path.join(sd, "sim.json")]
            t0 = time.time()
            subprocess.run(argv, env=ENV, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            clone_s = time.time() - t0
            self.servers.stop()
            n0 = self.servers.totals()
            self.servers.start()
            polls = 5
            c0 = self.servers.cpu()
            for _ in range(polls):
                subprocess.run(argv, env=ENV, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=True)
            c1 = self.servers.cpu()
            self.servers.stop()
            n1 = self.servers.totals()
            self.servers.start()
            reqs = n1[kind] - n0[kind]
            out[kind] = {"clone_s": clone_s,
                         "cpu_per_poll_s": (c1 - c0) / polls,
                         "polls": polls, "requests": reqs,
                         "requests_per_noop_poll": reqs / polls}
        return out

    def run(self):
        head = self.setup_repo()
        self.servers.start()
        once = self.once_cost()
        self.results["once"] = once
        clone_s = max(once["http"]["clone_s"], once["git"]["clone_s"])
        # deadlines: the interval (first poll or a regular one) plus every
        # host's clone one after the other on this machine, twice over
        busy = self.n * clone_s * 2
        self.results["measured_clone_s"] = round(clone_s, 3)
        log("%d hosts, interval %gs, one clone %.3f s" %
            (self.n, self.interval, clone_s))
        self.start_hosts()
        got = self.wait_applied(head, 3 * self.interval + busy + 10,
                                "initial clone")
        if len(got) < self.n:
            return
        self.results["initial_s"] = round(max(got.values()) -
                                          min(got.values()), 3)

        # commit -> converged
        t0 = time.time()
        c0 = self.servers.cpu()
        sha = self.commit(3, "every host: 3 CPUs")
        got = self.wait_applied(sha, 3 * self.interval + busy,
                                "convergence")
        if len(got) == self.n:
            lat = [got[i] - t0 for i in range(self.n)]
            self.results["converge_server_cpu_s"] = round(
                self.servers.cpu() - c0, 3)
            self.results["converge_s"] = {
                "p50": round(pct(lat, 50), 3), "p95": round(pct(lat, 95), 3),
                "max": round(max(lat), 3), "min": round(min(lat), 3)}
            log("converged: p50 %.2f p95 %.2f max %.2f s" %
                (pct(lat, 50), pct(lat, 95), max(lat)))

        # no-op polls in the fleet
        if self.args.window > 0:
            time.sleep(self.interval * 1.2)  # the drift checks settle
            w0 = int(time.time()) + 1
            time.sleep(w0 - time.time())
            c0 = self.servers.cpu()
            time.sleep(self.args.window)
            c1 = self.servers.cpu()
            w1 = w0 + self.args.window
            time.sleep(max(0, w1 + 5 - time.time()))  # the log is late
            http, gits = self.servers.requests(w0, w1)
            nh, ng = (self.n + 1) // 2, self.n // 2
            expect = self.args.window / self.interval
            self.results["noop"] = {
                "window_s": self.args.window,
                "http_requests": len(http), "git_connections": len(gits),
                "http_per_poll": round(len(http) / (nh * expect), 3),
                "git_per_poll": round(len(gits) / (ng * expect), 3)
                if ng else None,
                "server_cpu_s": round(c1 - c0, 3),
                "server_cpu_per_poll_ms": round(
                    (c1 - c0) / (self.n * expect) * 1000, 3),
                "peak_rps": max(per_second(http + gits).values() or [0])}
            log("no-op window: %s" % self.results["noop"])

        self.outage(busy)
        if self.args.commits and not self.args.test:
            self.fleet_kib = [du_k(os.path.join(self.state(i), "mirror.git"))
                              for i in range(self.n)]
            self.stop_hosts()  # alone: 200 daemons fetching every commit
            self.disk()        # would measure the machine's load instead

    def outage(self, busy):
        # while the servers were up, no poll may have failed
        self.results["fetch_failures_while_up"] = sum(
            self.count_log(i, '"fetch failed"') for i in range(self.n))
        down = time.time()
        self.servers.stop()
        sha = self.commit(4, "while the server is down")
        if self.args.test:
            # until every host has seen a fetch fail
            before = [self.count_log(i, '"fetch failed"')
                      for i in range(self.n)]
            wait_until("fetch failures", 4 * self.interval + busy,
                       lambda: all(self.count_log(i, '"fetch failed"') >
                                   before[i] for i in range(self.n)))
            self.results["outage_failed_hosts"] = sum(
                1 for i in range(self.n)
                if self.count_log(i, '"fetch failed"') > before[i])
        else:
            time.sleep(max(0, down + self.args.outage - time.time()))
        up = time.time()
        self.servers.start()
        log("servers down %.1f s" % (up - down))
        max_backoff = duration_s(self.args.max_backoff)
        got = self.wait_applied(sha, max_backoff + 2 * self.interval +
                                busy, "recovery")
        if len(got) < self.n:
            return
        last = max(got.values())
        time.sleep(max(0, last + 5 - time.time()))
        http, gits = self.servers.requests(up, last + 1)
        ps = per_second(http + gits)
        lat = [got[i] - up for i in range(self.n)]
        self.results["outage"] = {
            "down_s": round(up - down, 1),
            "recovered_p50_s": round(pct(lat, 50), 3),
            "recovered_max_s": round(max(lat), 3),
            "peak_rps": max(ps.values() or [0]),
            "mean_rps": round((len(http) + len(gits)) /
                              max(1.0, last + 1 - up), 2),
            "requests": len(http) + len(gits)}
        log("outage: %s" % self.results["outage"])

    def disk(self):
        """The mirror after COMMITS commits fetched one at a time (one
        `watch --once` each, as a daemon fetching every commit would)."""
        sd = os.path.join(self.t, "disk")
        argv = [VMRECON, "watch", "--once", "--repo", self.servers.http_url,
                "--path", "hosts/{hostname}.yaml", "--hostname",
                self.names[0], "--state-dir", sd, "--backend",
                "sim:" + os.path.join(sd, "sim.json")]
        subprocess.run(argv, env=ENV, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        start = du_k(os.path.join(sd, "mirror.git"))
        for c in range(self.args.commits):
            self.commit(5 + c % 11, "disk %d" % c, [self.names[0]])
            subprocess.run(argv, env=ENV, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        end = du_k(os.path.join(sd, "mirror.git"))
        packs = len([f for f in os.listdir(os.path.join(
            sd, "mirror.git", "objects", "pack")) if f.endswith(".pack")])
        fleet = sorted(self.fleet_kib)
        self.results["disk"] = {
            "commits": self.args.commits, "mirror_kib_before": start,
            "mirror_kib_after": end, "packs": packs,
            "server_repo_kib": du_k(self.bare),
            "fleet_mirror_kib_median": fleet[len(fleet) // 2]}
        log("disk: %s" % self.results["disk"])

    def labels(self):
        """How many hosts' metrics files carry their own host label."""
        n = 0
        for i, name in enumerate(self.names):
            try:
                with open(os.path.join(self.state(i), "metrics.prom")) as f:
                    text = f.read()
            except FileNotFoundError:
                continue
            samples = [x for x in text.splitlines() if x and x[0] != "#"]
            if samples and all('{host="%s"' % name in x for x in samples):
                n += 1
        return n

    def close(self):
        self.stop_hosts()
        # SIGTERM: exit 0 (an ASan/LSan report would make it non-zero)
        self.results["hosts_exit_nonzero"] = sum(
            1 for p in self.procs if p.returncode != 0)
        self.results["metrics_host_labelled"] = self.labels()
        self.servers.stop()
        self.results["load_end"] = os.getloadavg()[0]
        self.results["server_cpu_total_s"] = round(self.servers.cpu_done, 3)
        if os.environ.get("BENCH_KEEP") or self.failed:
            log("kept %s" % self.t)
        else:
            shutil.rmtree(self.t, ignore_errors=True)


def per_second(times):
    out = {}
    for t in times:
        out[t] = out.get(t, 0) + 1
    return out


def du_k(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            total += os.lstat(os.path.join(d, f)).st_blocks * 512
    return total // 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--interval", default="10s")
    ap.add_argument("--max-backoff", default="5m")
    ap.add_argument("--timeout", default="10s")
    ap.add_argument("--outage", type=float, default=60)
    ap.add_argument("--window", type=int, default=30)
    ap.add_argument("--commits", type=int, default=100)
    ap.add_argument("--json")
    ap.add_argument("--test", action="store_true")
    args = ap.parse_args()
    for tool in ("lighttpd", BACKEND, VMRECON):
        if not shutil.which(tool) and not os.access(tool, os.X_OK):
            print("skip: %s not found" % tool)
            return 77
    f = Fleet(args)
    try:
        f.run()
    except (RuntimeError, subprocess.CalledProcessError) as e:
        f.fail("run", str(e))
    finally:
        f.close()
    need = ["converge_s", "outage", "once"]
    if args.window > 0:
        need.append("noop")
    if args.commits and not args.test:
        need.append("disk")
    for k in need:
        if k not in f.results and not any(x["what"] == k for x in f.failed):
            f.fail(k, "not measured")
    f.results["failed"] = f.failed
    if args.json:
        with open(args.json, "w") as out:
            json.dump(f.results, out, indent=1)
    else:
        json.dump(f.results, sys.stdout, indent=1)
        print()
    return 1 if f.failed else 0


if __name__ == "__main__":
    sys.exit(main())
