#!/usr/bin/env python3
"""Soak benchmark (issue 9, point 11): many `riskdesk check` processes at once against one
shared data dir, on a sandbox that puts a fault on a share of its answers; then proves from
the database that no lookup was lost or duplicated, and reports each process's peak memory.

Not a CI test. Python 3.11, standard library only. Builds nothing: run
`cargo build --release` first. From the repository root:

    python3 benches/soak.py                          # 10,000 checks, 8 at once, 1 % faulty
    python3 benches/soak.py --checks 500 --workers 4 # a quick try

What runs: `target/release/riskdesk sandbox --listen 127.0.0.1:0 --latency-ms L
--fault-percent P --fault-seed S` (default mix: hang, drop, 502, truncated); a config.toml
from the block it prints plus `[http] timeout_secs = 2, max_retries = 2`; then W worker
threads, each starting one `riskdesk --config C --data-dir D check ... --json` at a time
(so W riskdesk processes run at once), until N checks have run. Check i is one of four
kinds in turn, each with identifiers no other check uses:

    i % 4 == 0  debts-report        ID  --phone 0813<i:08>
    i % 4 == 1  credit-willingness  ID  --phone 0815<i:08>
    i % 4 == 2  multiple-order      IN  --phone 7<i:09>
    i % 4 == 3  multiplatform       MX  --phone 56<i:08> --id-number SOAK<i:08>HDFXXX --name ...

Each run's exit status, printed JSON line and peak RSS (`ru_maxrss` from wait4 on that very
process) are kept. Afterwards the history database is read (read-only) and every check is
classified:

    stored      one row, whose id is the printed lookup_id and whose phone (and ID) are the check's
    unsaved     line says "stored": false, no row, and the answer is in <data dir>/unsaved-*.jsonl
    lost        an answer was printed but is neither in the database nor in an unsaved file,
                or the printed lookup_id names no row / another check's row
    duplicated  more than one row for the check's identifiers
    silent      no line printed (crash, exit 1, killed): listed with its stderr

and the rows that belong to no check are counted (stray). The sandbox's own request count
(`GET /_sandbox/stats`) is compared with the sum of the `attempts` the lines report: equal
means no request was sent that riskdesk does not know about.

Exit status: 0 when nothing was lost, duplicated, silent or stray; 1 otherwise.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The client's error kind each sandbox fault shows up as (none of them is re-sent: a
# request that may have arrived is never sent twice).
FAULT_TO_ERROR = {
    "hang": "timeout",
    "drop": "interrupted",
    "502": "vendor_down",
    "truncated": "malformed",
}


@dataclass
class Check:
    i: int
    kind: str
    args: list[str]
    phone_e164: str
    id_number: str = ""


@dataclass
class Run:
    check: Check
    exit: int | None = None
    lines: list[dict] = field(default_factory=list)
    bad_stdout: str = ""
    stderr: str = ""
    rss_kb: int = 0
    wall_s: float = 0.0
    killed: bool = False

    @property
    def line(self) -> dict | None:
        return self.lines[0] if len(self.lines) == 1 else None


def make_check(i: int) -> Check:
    k = i % 4
    if k == 0:
        local = f"0813{i:08d}"
        return Check(i, "debts-report", ["debts-report", "--country", "ID", "--phone", local],
                     "+62" + local[1:])
    if k == 1:
        local = f"0815{i:08d}"
        return Check(i, "credit-willingness",
                     ["credit-willingness", "--country", "ID", "--phone", local], "+62" + local[1:])
    if k == 2:
        local = f"7{i:09d}"
        return Check(i, "multiple-order", ["multiple-order", "--country", "IN", "--phone", local],
                     "+91" + local)
    local = f"56{i:08d}"
    curp = f"SOAK{i:08d}HDFXXX"
    return Check(i, "multiplatform",
                 ["multiplatform", "--country", "MX", "--phone", local, "--id-number", curp,
                  "--name", "Soak Tester"],
                 "+52" + local, curp)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


class Sandbox:
    def __init__(self, binary: Path, latency_ms: int, percent: float, seed: int, mix: str):
        cmd = [str(binary), "sandbox", "--listen", "127.0.0.1:0", "--latency-ms", str(latency_ms),
               "--fault-percent", str(percent), "--fault-seed", str(seed), "--fault-mix", mix]
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=clean_env())
        self.banner: list[str] = []
        deadline = time.monotonic() + 20
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                err = self.proc.stderr.read() if self.proc.stderr else ""
                raise SystemExit(f"soak: the sandbox stopped before it served: {err.strip()}")
            self.banner.append(line.rstrip("\n"))
            if line.startswith("Request counts:"):
                break
            if time.monotonic() > deadline:
                raise SystemExit("soak: the sandbox did not print its banner within 20 s")
        text = "\n".join(self.banner)
        self.base_url = next(l.split()[-1] for l in self.banner if l.startswith("listening on "))
        block = text.split("Paste into config.toml:", 1)[1].split("Request counts:", 1)[0]
        self.config_block = block.strip() + "\n"

    def stats(self) -> dict:
        with urllib.request.urlopen(self.base_url + "/_sandbox/stats", timeout=10) as r:
            return json.load(r)

    def peak_rss_kb(self) -> int:
        try:
            for l in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if l.startswith("VmHWM:"):
                    return int(l.split()[1])
        except OSError:
            pass
        return 0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def clean_env() -> dict:
    # No real vendor credential or other riskdesk setting from the caller's shell.
    env = {k: v for k, v in os.environ.items() if not k.startswith("RISKDESK_")}
    env["RISKDESK_LOG"] = "warn"
    return env


def run_one(binary: Path, config: Path, data: Path, check: Check, scratch: Path,
            kill_after: float) -> Run:
    run = Run(check)
    cmd = [str(binary), "--config", str(config), "--data-dir", str(data), "check", *check.args,
           "--json"]
    out_path = scratch / "out"
    err_path = scratch / "err"
    rss_path = scratch / "rss"
    if TIME:
        # GNU time forks riskdesk itself: a child forked from this (large) Python process
        # would start with Python's peak RSS as its own ru_maxrss.
        rss_path.unlink(missing_ok=True)
        cmd = [TIME, "-f", "%M", "-o", str(rss_path), *cmd]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=ENV,
                             start_new_session=True)
        killer = threading.Timer(kill_after, lambda: _kill(p.pid, run))
        killer.start()
        try:
            # wait4 on this very child: its own peak RSS, not the max over all children.
            _, status, usage = os.wait4(p.pid, 0)
        finally:
            killer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        run.wall_s = time.monotonic() - t0
    run.exit = p.returncode
    run.rss_kb = usage.ru_maxrss  # KiB on Linux; an upper bound without GNU time
    if TIME:
        try:
            run.rss_kb = int(rss_path.read_text().split()[-1])
        except (OSError, ValueError, IndexError):
            run.rss_kb = 0
    run.stderr = err_path.read_text(errors="replace")
    for raw in out_path.read_text(errors="replace").splitlines():
        if not raw.strip():
            continue
        try:
            run.lines.append(json.loads(raw))
        except json.JSONDecodeError:
            run.bad_stdout += raw + "\n"
    return run


def _kill(pid: int, run: Run) -> None:
    run.killed = True
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


ENV = clean_env()
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checks", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--fault-percent", type=float, default=1.0)
    ap.add_argument("--fault-mix", default="hang,drop,502,truncated")
    ap.add_argument("--fault-seed", type=int, default=1)
    ap.add_argument("--latency-ms", type=int, default=5)
    ap.add_argument("--timeout-secs", type=int, default=2, help="http.timeout_secs")
    ap.add_argument("--max-retries", type=int, default=2, help="http.max_retries")
    ap.add_argument("--retain-days", type=int,
                    help="also set history.retain_days: every check then runs the retention "
                         "purge at start (a write) before its own")
    ap.add_argument("--kill-after", type=float, default=120.0,
                    help="seconds after which one riskdesk run is killed (counted as silent)")
    ap.add_argument("--binary", type=Path, default=ROOT / "target" / "release" / "riskdesk")
    ap.add_argument("--workdir", type=Path, help="where config and data go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--json-out", type=Path, help="also write every run's record here")
    args = ap.parse_args()

    if not args.binary.is_file():
        print(f"soak: {args.binary} not found: run `cargo build --release` first", file=sys.stderr)
        return 2
    work = args.workdir or Path(tempfile.mkdtemp(prefix="riskdesk-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir()

    load_before = os.getloadavg()
    sandbox = Sandbox(args.binary, args.latency_ms, args.fault_percent, args.fault_seed,
                      args.fault_mix)
    config = work / "config.toml"
    config.write_text(sandbox.config_block +
                      f"\n[http]\ntimeout_secs = {args.timeout_secs}\n"
                      f"max_retries = {args.max_retries}\n" +
                      (f"\n[history]\nretain_days = {args.retain_days}\n"
                       if args.retain_days is not None else ""))
    config.chmod(0o600)
    print(f"soak: sandbox {sandbox.base_url} (pid {sandbox.proc.pid}); data dir {data}; "
          f"{args.checks} checks, {args.workers} at once; load {load_before[0]:.2f}",
          file=sys.stderr)

    runs: list[Run | None] = [None] * args.checks
    done = [0]
    lock = threading.Lock()
    start = time.monotonic()

    def worker(w: int) -> None:
        scratch = work / f"w{w}"
        scratch.mkdir(exist_ok=True)
        for i in range(w, args.checks, args.workers):
            r = run_one(args.binary, config, data, make_check(i), scratch, args.kill_after)
            runs[i] = r
            with lock:
                done[0] += 1
                n = done[0]
            if n % 500 == 0 or n == args.checks:
                el = time.monotonic() - start
                print(f"soak: {n}/{args.checks} checks, {el:.0f} s, {n / el:.1f}/s, "
                      f"load {os.getloadavg()[0]:.2f}", file=sys.stderr)

    load_samples: list[float] = []
    stop_sampling = threading.Event()

    def sample_load() -> None:
        while not stop_sampling.wait(5):
            load_samples.append(os.getloadavg()[0])

    sampler = threading.Thread(target=sample_load, daemon=True)
    sampler.start()
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(args.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    stop_sampling.set()
    load_after = os.getloadavg()

    stats = sandbox.stats()
    sandbox_rss = sandbox.peak_rss_kb()
    sandbox.stop()

    all_runs = [r for r in runs if r is not None]
    report = verify(all_runs, data, stats)
    report.update(
        checks=len(all_runs), workers=args.workers, wall_s=wall, sandbox_rss_kb=sandbox_rss,
        load_before=load_before, load_after=load_after,
        load_max=max(load_samples, default=load_after[0]),
        load_mean=statistics.fmean(load_samples) if load_samples else load_after[0],
        cores=os.cpu_count(), args=args, command=" ".join(["python3", "benches/soak.py",
                                                           *sys.argv[1:]]))
    if args.json_out:
        with open(args.json_out, "w") as f:
            for r in all_runs:
                json.dump({"i": r.check.i, "kind": r.check.kind, "phone": r.check.phone_e164,
                           "exit": r.exit, "rss_kb": r.rss_kb, "wall_s": round(r.wall_s, 4),
                           "killed": r.killed, "lines": r.lines, "stderr": r.stderr}, f)
                f.write("\n")
    print(markdown(report))
    if not args.workdir and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"soak: kept {work}", file=sys.stderr)
    bad = report["lost"] + report["duplicated"] + report["silent"] + report["stray"] + \
        report["mismatched"]
    return 1 if bad else 0


def verify(runs: list[Run], data: Path, stats: dict) -> dict:
    db = sqlite3.connect(f"file:{data / 'history.db'}?mode=ro", uri=True)
    rows = db.execute("SELECT id, uuid, check_kind, phone_e164, id_number, outcome, error_kind "
                      "FROM lookups").fetchall()
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    by_id = {r[0]: r for r in rows}
    by_phone: dict[str, list[tuple]] = {}
    for r in rows:
        by_phone.setdefault(r[3], []).append(r)
    unsaved_text = ""
    unsaved_files = sorted(glob.glob(str(data / "unsaved-*.jsonl")))
    for f in unsaved_files:
        unsaved_text += Path(f).read_text(errors="replace")

    problems: list[str] = []
    verdict: Counter = Counter()
    outcomes: Counter = Counter()
    errors: Counter = Counter()
    exits: Counter = Counter()
    attempts = 0
    busy_lines = []
    known_phones = set()
    for run in runs:
        c = run.check
        known_phones.add(c.phone_e164)
        exits[run.exit] += 1
        mine = by_phone.get(c.phone_e164, [])
        line = run.line
        if "busy" in run.stderr.lower() or "locked" in run.stderr.lower():
            busy_lines.append(f"check {c.i} ({c.kind} {c.phone_e164}): exit {run.exit}: "
                              f"{run.stderr.strip()[:300]}")
        if line is None:
            verdict["silent"] += 1
            what = "killed" if run.killed else f"exit {run.exit}"
            problems.append(f"check {c.i} ({c.kind} {c.phone_e164}): no single JSON line "
                            f"({len(run.lines)} lines, {what}), {len(mine)} row(s); stderr: "
                            f"{run.stderr.strip()[:300]!r} stdout: {run.bad_stdout[:200]!r}")
            if len(mine) > 1:
                verdict["duplicated"] += 1
            continue
        outcomes[line.get("outcome")] += 1
        err = (line.get("error") or {}).get("kind")
        if err:
            errors[err] += 1
        attempts += int(line.get("attempts") or 0)
        lookup_id = line.get("lookup_id")
        stored = line.get("stored", lookup_id is not None)
        if len(mine) > 1:
            verdict["duplicated"] += 1
            problems.append(f"check {c.i} ({c.kind} {c.phone_e164}): {len(mine)} rows "
                            f"{[r[0] for r in mine]}; printed lookup_id {lookup_id}")
            continue
        if stored:
            row = by_id.get(lookup_id)
            if row is None:
                verdict["lost"] += 1
                problems.append(f"check {c.i} ({c.kind} {c.phone_e164}): printed lookup_id "
                                f"{lookup_id}, no such row; rows for its phone: "
                                f"{[r[0] for r in mine]}")
            elif row[3] != c.phone_e164 or row[2] != c.kind or \
                    (c.id_number and row[4] != c.id_number):
                verdict["mismatched"] += 1
                problems.append(f"check {c.i} ({c.kind} {c.phone_e164}): lookup_id {lookup_id} "
                                f"is row {row[:5]}")
            elif row[5] != line.get("outcome"):
                verdict["mismatched"] += 1
                problems.append(f"check {c.i}: row {lookup_id} outcome {row[5]}, line "
                                f"{line.get('outcome')}")
            else:
                verdict["stored"] += 1
        else:
            if mine:
                verdict["mismatched"] += 1
                problems.append(f"check {c.i} ({c.kind} {c.phone_e164}): said stored=false but "
                                f"row {mine[0][0]} exists")
            elif f'"{c.phone_e164}"' in unsaved_text:
                verdict["unsaved"] += 1
            else:
                verdict["lost"] += 1
                problems.append(f"check {c.i} ({c.kind} {c.phone_e164}): stored=false and not in "
                                f"any unsaved-*.jsonl; stderr {run.stderr.strip()[:300]!r}")
    stray = [r for r in rows if r[3] not in known_phones]
    for r in stray[:20]:
        problems.append(f"stray row {r[:5]}")
    sandbox_requests = sum(v for k, v in stats.get("requests", {}).items())
    rss = [r.rss_kb for r in runs if r.rss_kb]
    walls = [r.wall_s for r in runs]
    tenth = max(1, len(runs) // 10)
    ordered = sorted(runs, key=lambda r: r.check.i)
    return {
        "rows": len(rows),
        "integrity": integrity,
        "unsaved_files": len(unsaved_files),
        "verdict": verdict,
        "lost": verdict["lost"],
        "duplicated": verdict["duplicated"],
        "silent": verdict["silent"],
        "mismatched": verdict["mismatched"],
        "stray": len(stray),
        "answered": sum(1 for r in runs if r.line is not None),
        "outcomes": outcomes,
        "errors": errors,
        "exits": exits,
        "attempts": attempts,
        "sandbox_requests": sandbox_requests,
        "sandbox_faults": stats.get("faults", {}),
        "sandbox_hanging": stats.get("hanging"),
        "rss_max": max(rss, default=0),
        "rss_p50": percentile(rss, 50),
        "rss_p99": percentile(rss, 99),
        "rss_first_p50": percentile([r.rss_kb for r in ordered[:tenth]], 50),
        "rss_last_p50": percentile([r.rss_kb for r in ordered[-tenth:]], 50),
        "wall_p50": percentile(walls, 50),
        "wall_p99": percentile(walls, 99),
        "wall_max": max(walls, default=0),
        "busy": busy_lines,
        "problems": problems,
    }


def markdown(r: dict) -> str:
    a = r["args"]
    mb = lambda kb: f"{kb / 1024:.1f} MiB"  # noqa: E731
    faults = r["sandbox_faults"]
    fault_total = sum(faults.values())
    expect = Counter({FAULT_TO_ERROR.get(k, k): v for k, v in faults.items()})
    fault_errors = {k: r["errors"].get(k, 0) for k in expect}
    out = []
    out.append(f"`{r['command']}` (sandbox: `--latency-ms {a.latency_ms} --fault-percent "
               f"{a.fault_percent} --fault-mix {a.fault_mix} --fault-seed {a.fault_seed}`; "
               f"`http.timeout_secs = {a.timeout_secs}`, `max_retries = {a.max_retries}`" +
               (f", `history.retain_days = {a.retain_days}`" if a.retain_days is not None else "")
               + ")")
    out.append("")
    out.append(f"Machine: {r['cores']} cores; load average {r['load_before'][0]:.2f} before, "
               f"mean {r['load_mean']:.2f} / max {r['load_max']:.2f} during (sampled every 5 s), "
               f"{r['load_after'][0]:.2f} after.")
    out.append("")
    out.append("| measure | result |")
    out.append("|---|---|")
    out.append(f"| checks run | {r['checks']} ({r['workers']} processes at once, one data dir) |")
    out.append(f"| wall time | {r['wall_s']:.1f} s ({r['checks'] / r['wall_s']:.1f} checks/s); "
               f"per check p50 {r['wall_p50'] * 1000:.0f} ms, p99 {r['wall_p99'] * 1000:.0f} ms, "
               f"max {r['wall_max']:.2f} s |")
    out.append("| outcomes | " + ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items()))
               + " |")
    out.append("| error kinds | " + (", ".join(f"{k} {v}" for k, v in sorted(r["errors"].items()))
               or "none") + " |")
    out.append("| exit statuses | " + ", ".join(f"{k}: {v}" for k, v in
                                                 sorted(r["exits"].items(), key=str)) + " |")
    out.append(f"| faults the sandbox put on answers | {fault_total}: " +
               ", ".join(f"{k} {v}" for k, v in sorted(faults.items())) +
               f" (shown as " + ", ".join(f"{k} {fault_errors[k]}" for k in sorted(fault_errors))
               + ") |")
    out.append(f"| requests: sandbox received / lines' attempts | {r['sandbox_requests']} / "
               f"{r['attempts']} |")
    out.append(f"| answers hanging in the sandbox at the end | {r['sandbox_hanging']} |")
    out.append(f"| history rows | {r['rows']} (integrity_check: {r['integrity']}) |")
    v = r["verdict"]
    out.append(f"| stored (row id = printed lookup_id, identifiers match) | {v['stored']} |")
    out.append(f"| answered, not stored, kept in unsaved-*.jsonl (exit 5) | {v['unsaved']} "
               f"({r['unsaved_files']} files) |")
    out.append(f"| **lost** | **{r['lost']}** |")
    out.append(f"| **duplicated** | **{r['duplicated']}** |")
    out.append(f"| no line printed (crash, exit 1, killed) | {r['silent']} |")
    out.append(f"| row/line mismatches, stray rows | {r['mismatched']}, {r['stray']} |")
    out.append(f"| SQLITE_BUSY / locked on stderr | {len(r['busy'])} |")
    how = "GNU time %M" if TIME else "wait4 ru_maxrss, an upper bound: includes the forking Python"
    out.append(f"| peak RSS per riskdesk process ({how}) | max {mb(r['rss_max'])}, p50 {mb(r['rss_p50'])}, "
               f"p99 {mb(r['rss_p99'])}; first 10 % of checks p50 {mb(r['rss_first_p50'])}, "
               f"last 10 % p50 {mb(r['rss_last_p50'])} |")
    out.append(f"| peak RSS of the sandbox | {mb(r['sandbox_rss_kb'])} |")
    text = "\n".join(out)
    if r["problems"] or r["busy"]:
        text += "\n\nFindings:\n\n" + "\n".join(f"- {p}" for p in r["problems"][:50])
        if r["busy"]:
            text += "\n" + "\n".join(f"- {b}" for b in r["busy"][:20])
    return text


if __name__ == "__main__":
    sys.exit(main())
