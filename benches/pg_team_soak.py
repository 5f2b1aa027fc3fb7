#!/usr/bin/env python3
"""Team history soak (issue 11): 8 desks recording and searching one PostgreSQL at once.

    cargo build --release
    python3 benches/pg_team_soak.py [--bin target/release/riskdesk] [--procs 8] [--secs 60]

Starts a throwaway PostgreSQL cluster (initdb/pg_ctl in a temporary directory, as the
`postgres` user through runuser when run as root; PostgreSQL's durable defaults: fsync,
synchronous_commit and full_page_writes on) on a free loopback port, lets riskdesk migrate it
as the database owner, and creates one role per desk (riskdesk_operator). Then each of N
workers runs the real binary back to back for S seconds, as its own role and data dir:
`riskdesk check debts-report --json --purpose soak-W-K` against the built-in sandbox (a new
phone number each time, so every lookup is its own), then `riskdesk history search PHONE
--json`, which must find the lookup it just recorded. So N riskdesk processes are talking to
the server at any moment.

At the end it counts: every check answered and stored (exit 0, `stored: true`), every search
found its row; in the database, exactly one row per check the desks reported (ids and
purposes), no duplicate uuids, no row nobody reported; and the operator of each row is the
desk's role. Prints wall-time p50/p95 per command (process start, connect, work, exit) and
exits 1 on any error, loss or duplicate.
"""

import argparse
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time


def find_bin():
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if os.path.isfile(os.path.join(d, "initdb")) and os.path.isfile(os.path.join(d, "pg_ctl")):
            return os.path.dirname(os.path.realpath(os.path.join(d, "initdb")))
    base = "/usr/lib/postgresql"
    if os.path.isdir(base):
        versions = sorted((int(v), v) for v in os.listdir(base) if v.isdigit())
        for _, v in reversed(versions):
            b = os.path.join(base, v, "bin")
            if os.path.isfile(os.path.join(b, "initdb")):
                return b
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, pgbin):
        self.pgbin = pgbin
        self.dir = tempfile.mkdtemp(prefix="riskdesk-soak-pg-")
        self.run_as = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
                self.run_as = "postgres"
            except KeyError:
                subprocess.run(["useradd", "--system", "--no-create-home", "riskdeskpg"], check=False)
                self.run_as = "riskdeskpg"
            subprocess.run(["chown", "-R", f"{self.run_as}:", self.dir], check=True)
        self.data = os.path.join(self.dir, "data")
        self.pg("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                "--no-locale")
        self.port = free_port()
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self.pg("pg_ctl", "-D", self.data, "-o", opts, "-l", os.path.join(self.dir, "server.log"),
                "-w", "start")

    def pg(self, prog, *args):
        cmd = [os.path.join(self.pgbin, prog), *args]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        subprocess.run(cmd, check=True, cwd=self.dir, stdout=subprocess.DEVNULL)

    def sql(self, db, sql):
        psql = os.path.join(self.pgbin, "psql")
        out = subprocess.run(
            [psql if os.path.isfile(psql) else "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
             "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql],
            check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def url(self, user, db):
        return f"postgres://{user}@127.0.0.1:{self.port}/{db}?sslmode=disable"

    def stop(self):
        try:
            self.pg("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/riskdesk")
    ap.add_argument("--procs", type=int, default=8)
    ap.add_argument("--secs", type=float, default=60)
    args = ap.parse_args()
    exe = os.path.abspath(args.bin)
    if not os.path.isfile(exe):
        sys.exit(f"{exe} not found: cargo build --release first")
    pgbin = find_bin()
    if not pgbin:
        sys.exit("PostgreSQL (initdb, pg_ctl) not found; nothing measured")

    c = Cluster(pgbin)
    work = tempfile.mkdtemp(prefix="riskdesk-soak-")
    try:
        version = c.sql("postgres", "SELECT current_setting('server_version') || ', fsync=' || "
                        "current_setting('fsync') || ', synchronous_commit=' || "
                        "current_setting('synchronous_commit')")
        c.sql("postgres", "CREATE ROLE desk_owner LOGIN CREATEROLE")
        c.sql("postgres", "CREATE DATABASE team OWNER desk_owner")
        config = os.path.join(work, "config.toml")
        open(config, "w").close()

        def riskdesk(role, data, *argv):
            env = dict(os.environ)
            for k in ("RISKDESK_CONFIG", "RISKDESK_DATA_DIR", "PGPASSWORD", "PGHOST", "PGUSER"):
                env.pop(k, None)
            env["RISKDESK_HISTORY_URL"] = c.url(role, "team")
            t = time.perf_counter()
            p = subprocess.run([exe, "--config", config, "--data-dir", data, *argv],
                               capture_output=True, text=True, env=env)
            return p, time.perf_counter() - t

        p, _ = riskdesk("desk_owner", os.path.join(work, "owner"), "history", "search", "x")
        if p.returncode != 0:
            sys.exit(f"migration as the owner failed: {p.stderr}")
        roles = [f"desk{i}" for i in range(args.procs)]
        for r in roles:
            c.sql("postgres", f"CREATE ROLE {r} LOGIN IN ROLE riskdesk_operator")

        lock = threading.Lock()
        reported = {}  # lookup id -> (role, purpose)
        errors = []
        check_t, search_t = [], []
        deadline = time.monotonic() + args.secs

        def worker(w, role):
            data = os.path.join(work, role)
            k = 0
            while time.monotonic() < deadline:
                k += 1
                phone = f"0813{w:02d}{k:06d}"
                purpose = f"soak-{w}-{k}"
                p, dt = riskdesk(role, data, "check", "debts-report", "--country", "ID", "--phone",
                                 phone, "--purpose", purpose, "--json")
                try:
                    line = json.loads(p.stdout.splitlines()[0])
                except (IndexError, ValueError):
                    line = {}
                ok = p.returncode == 0 and line.get("stored") is True and line.get("lookup_id")
                with lock:
                    check_t.append(dt)
                    if not ok:
                        errors.append(f"{role} check {k}: exit {p.returncode}: {p.stderr.strip()[:300]}")
                        continue
                    if line["lookup_id"] in reported:
                        errors.append(f"{role} check {k}: lookup id {line['lookup_id']} reported twice")
                    reported[line["lookup_id"]] = (role, purpose)
                p, dt = riskdesk(role, data, "history", "search", phone, "--json")
                found = False
                if p.returncode == 0:
                    try:
                        body = json.loads(p.stdout)
                        rows = body if isinstance(body, list) else body.get("rows", [])
                        found = any(r.get("id") == line["lookup_id"] for r in rows)
                    except ValueError:
                        pass
                with lock:
                    search_t.append(dt)
                    if not found:
                        errors.append(f"{role} search {k}: exit {p.returncode}, lookup "
                                      f"{line['lookup_id']} not found: {p.stderr.strip()[:300]}"
                                      f" {p.stdout[:200]}")

        started = time.monotonic()
        threads = [threading.Thread(target=worker, args=(i, r)) for i, r in enumerate(roles)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started

        rows = c.sql("team", "SELECT id, operator, purpose, uuid FROM riskdesk.lookups "
                     "WHERE purpose LIKE 'soak-%'")
        stored = [r.split("|") for r in rows.splitlines() if r]
        ids = [int(r[0]) for r in stored]
        uuids = {r[3] for r in stored}
        purposes = [r[2] for r in stored]
        lost = [i for i in reported if i not in set(ids)]
        extra = [i for i in ids if i not in reported]
        dup_purpose = len(purposes) - len(set(purposes))
        wrong_operator = [r for r in stored
                          if int(r[0]) in reported and reported[int(r[0])][0] != r[1]]
        ms = lambda s: f"{s * 1000:.0f}"
        print(f"## {args.procs} desks for {elapsed:.0f} s on PostgreSQL {version}\n")
        print("| command | runs | p50 ms | p95 ms | max ms |")
        print("|---|---|---|---|---|")
        for name, xs in (("check debts-report (sandbox), recorded", check_t),
                         ("history search PHONE --json", search_t)):
            print(f"| {name} | {len(xs)} | {ms(pct(xs, 50))} | {ms(pct(xs, 95))} | "
                  f"{ms(max(xs) if xs else float('nan'))} |")
        print(f"\nlookups reported stored: {len(reported)}; rows in the database: {len(stored)}; "
              f"distinct uuids: {len(uuids)}; lost: {len(lost)}; rows nobody reported: "
              f"{len(extra)}; duplicated purposes: {dup_purpose}; wrong operator: "
              f"{len(wrong_operator)}; errors: {len(errors)}")
        for e in errors[:20]:
            print("  error:", e)
        bad = errors or lost or extra or dup_purpose or wrong_operator or len(uuids) != len(stored)
        sys.exit(1 if bad else 0)
    finally:
        c.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
