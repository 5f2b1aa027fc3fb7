#!/usr/bin/env python3
"""A check run while a large import is in progress (issue 9, point 3): is it stored within 2 s
of the vendor's answer?

Not a CI test. Python 3.11, standard library only. Builds nothing: run
`cargo build --release` first. From the repository root:

    python3 benches/import_vs_check.py                      # 1,000,000 rows, a check every 2 s
    python3 benches/import_vs_check.py --rows 100000        # a quick try
    python3 benches/import_vs_check.py --export FILE.jsonl  # import an existing export instead

What runs:
1. An export of N rows in the JSON-lines shape `riskdesk history export` writes (the `Line`
   struct in src/history/exchange.rs): uuid, created_at (a year of timestamps), identity
   (phone +62812..., 16-digit NIK, a name with accents), request, status, a ~200-byte raw
   body, report. Generated here, deterministically, unless --export is given.
2. `target/release/riskdesk --config EMPTY --data-dir D history import FILE` into an empty
   data dir (an empty config file: every check goes to the built-in sandbox).
3. While it runs, every --every seconds: `riskdesk --config EMPTY --data-dir D check
   debts-report --country ID --phone 08123456NNNN --json` (NNNN counts up), one at a time. Each
   check's wall time (process start to exit), exit status, printed lookup_id and the vendor's
   latency_ms are kept; "store delay" = wall time - latency_ms, an upper bound on the time from
   the vendor's answer to the stored row (it includes process start and the history open).
4. After the import: the database is read (read-only) to prove every printed lookup_id is a row
   with that check's phone, and that the import added every row.

Prints a Markdown block for BENCHMARKS.md. Exit status 0 when every check was stored within the
target (2 s) and every row is there; 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 2.0

FIRST = ["Budi", "Siti", "Agus", "Dewi", "José", "María", "Priya", "Rahul", "Nguyễn", "Somchai",
         "Ana", "Luis", "Chidi", "Ayesha", "Juan", "Rosa", "Andrés", "Lakshmi", "Fatima", "Kevin"]
LAST = ["Santoso", "Wijaya", "Hernández", "García", "Sharma", "Patel", "Trần", "Srisuk", "Okafor",
        "Khan", "Reyes", "Gómez", "Kusuma", "Nair", "Lim", "Cruz", "Pérez", "Rao", "Bello", "Ali"]
CHECKS = ["debts-report", "multiple-order", "phone-status", "multiplatform", "credit-willingness"]
OUTCOMES = ["ok"] * 6 + ["not_hit"] * 2 + ["error", "pending"]


def generate(path: Path, rows: int) -> float:
    """Writes `rows` export lines to `path`; returns the seconds it took."""
    started = time.monotonic()
    start = 1_735_689_600  # 2025-01-01T00:00:00Z
    step = 31_536_000 / max(rows, 1)
    g = 88172645463325252
    with path.open("w", encoding="utf-8") as f:
        for i in range(rows):
            g = (g * 6364136223846793005 + 1442695040888963407) % (1 << 64)
            r = g >> 33
            phone = f"+62812{i:08d}"
            nik = f"3171{i:012d}"
            req = f"req-{i:010d}"
            at = start + int(i * step)
            line = {
                "uuid": f"{(r & 0xFFFFFFFF):08x}-{i >> 16 & 0xFFFF:04x}-4{i & 0xFFF:03x}-8000-{i:012x}",
                "id": i + 1,
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{i % 1_000_000:06d}Z",
                "operator": "bench",
                "sandbox": False,
                "check": CHECKS[i % 5],
                "identity": {
                    "phone_e164": phone,
                    "id_number": nik,
                    "name": f"{FIRST[r % 20]} {LAST[(r >> 5) % 20]}",
                    "country": "ID",
                    "bankcard": "",
                    "email": "",
                    "gaid": "",
                },
                "request": {"mobile": phone[1:], "idcard": nik},
                "http_status": 200,
                "vendor_status": "OK",
                "vendor_request_id": req,
                "outcome": OUTCOMES[r % 10],
                "error_kind": None,
                "error_message": None,
                "latency_ms": 100 + r % 900,
                "raw_response": (
                    f'{{"status":"OK","message":"success","request_id":"{req}","data":{{"result":'
                    f'{{"loan_count ":{r % 20},"overdue_count ":{r % 5},"max_overdue_days ":{r % 90}}}}}}}'
                ),
                "report": {"loan_count": r % 20},
                "task_id": None,
            }
            f.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
            f.write("\n")
    return time.monotonic() - started


def count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n += chunk.count(b"\n")
    return n


def percentile(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * p))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows to generate (default 1,000,000)")
    ap.add_argument("--export", type=Path, help="import this export instead of generating one")
    ap.add_argument("--every", type=float, default=2.0, help="seconds between check starts (default 2)")
    ap.add_argument("--bin", type=Path, default=ROOT / "target" / "release" / "riskdesk")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()

    if not args.bin.exists():
        print(f"{args.bin} not found: run `cargo build --release` first", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="riskdesk-import-vs-check-"))
    try:
        return run(args, work)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    data = work / "data"
    config = work / "config.toml"
    config.write_text("")
    if args.export:
        export = args.export
        rows = count_lines(export)
        gen_s = None
    else:
        export = work / "export.jsonl"
        rows = args.rows
        gen_s = generate(export, rows)
    size_mb = export.stat().st_size / 1e6
    print(f"export: {rows} rows, {size_mb:.0f} MB" + (f", generated in {gen_s:.1f} s" if gen_s else ""),
          file=sys.stderr)
    base = [str(args.bin), "--config", str(config), "--data-dir", str(data)]

    # One check first, so the data dir, its database and the sandbox start-up exist and are
    # warm before the import begins (the import then writes into an existing file).
    warm = subprocess.run(base + ["check", "debts-report", "--country", "ID", "--phone", "081234567800",
                                  "--json"], capture_output=True, text=True)
    if warm.returncode != 0:
        print(f"warm-up check failed ({warm.returncode}): {warm.stderr}", file=sys.stderr)
        return 1

    load_before = os.getloadavg()
    started = time.monotonic()
    imp = subprocess.Popen(base + ["history", "import", str(export)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    out: dict[str, str] = {}

    def drain() -> None:
        o, e = imp.communicate()
        out["stdout"], out["stderr"] = o, e

    drainer = threading.Thread(target=drain)
    drainer.start()

    checks: list[dict] = []
    n = 1
    while imp.poll() is None:
        phone = f"08123456{n:04d}"
        t0 = time.monotonic()
        p = subprocess.run(base + ["check", "debts-report", "--country", "ID", "--phone", phone, "--json"],
                           capture_output=True, text=True)
        wall = time.monotonic() - t0
        line: dict = {}
        for text in p.stdout.splitlines():
            try:
                line = json.loads(text)
                break
            except json.JSONDecodeError:
                continue
        checks.append({
            "n": n,
            "phone": phone,
            "at": t0 - started,
            "wall": wall,
            "exit": p.returncode,
            "lookup_id": line.get("lookup_id"),
            "stored": line.get("stored"),
            "latency_ms": line.get("latency_ms") or 0,
            "during_import": imp.poll() is None,
            "stderr": p.stderr.strip()[-300:],
        })
        print(f"  t={t0 - started:6.1f}s check {n}: {wall * 1000:7.0f} ms, exit {p.returncode}, "
              f"lookup_id {line.get('lookup_id')}", file=sys.stderr)
        n += 1
        time.sleep(max(0.0, args.every - wall))
    drainer.join()
    import_s = time.monotonic() - started
    print(f"import exit {imp.returncode} after {import_s:.1f} s: {out.get('stdout', '').strip()[-500:]}",
          file=sys.stderr)
    if imp.returncode != 0:
        print(out.get("stderr", ""), file=sys.stderr)

    # Verify from the database, read-only.
    db = sqlite3.connect(f"file:{data / 'history.db'}?mode=ro", uri=True)
    total = db.execute("SELECT count(*) FROM lookups").fetchone()[0]
    imported = db.execute("SELECT count(*) FROM lookups WHERE operator = 'bench'").fetchone()[0] \
        if not args.export else None
    last_imported = db.execute("SELECT max(id) FROM lookups WHERE operator = 'bench'").fetchone()[0] \
        if not args.export else None
    bad = []
    for c in checks:
        # Stored after the last imported row: it waited out the import's closing work (the
        # name index `optimize`), not a batch.
        c["after_rows"] = (last_imported is not None and c["lookup_id"] is not None
                           and c["lookup_id"] > last_imported)
        row = None
        if c["lookup_id"] is not None:
            row = db.execute("SELECT phone_e164 FROM lookups WHERE id = ?", (c["lookup_id"],)).fetchone()
        want = "+62" + c["phone"].lstrip("0")
        c["verified"] = row is not None and row[0] == want
        if not c["verified"] or c["exit"] != 0 or c["stored"] is not True:
            bad.append(c)
    db.close()

    during = [c for c in checks if c["during_import"]]
    walls = [c["wall"] for c in during]
    delays = [c["wall"] - c["latency_ms"] / 1000 for c in during]
    expected_total = rows + len(checks) + 1
    ok = (imp.returncode == 0 and not bad and during and max(walls) < TARGET_S
          and total == expected_total and (imported is None or imported == rows))

    print()
    print(f"_load average before the run: {' '.join(f'{x:.2f}' for x in load_before)}_")
    print()
    print(f"`python3 benches/import_vs_check.py"
          + (f" --rows {args.rows}" if not args.export and args.rows != 1_000_000 else "")
          + (f" --every {args.every:g}" if args.every != 2.0 else "") + "`")
    print()
    print(f"- export: {rows:,} rows, {size_mb:.0f} MB" + (f" (generated in {gen_s:.1f} s)" if gen_s else ""))
    print(f"- `riskdesk history import`: {import_s:.1f} s wall, exit {imp.returncode}; "
          f"rows after: {total:,} (expected {expected_total:,}: the export, the checks, one warm-up)")
    if during:
        print(f"- {len(during)} checks during the import (one every {args.every:g} s), each a new "
              f"`riskdesk check debts-report --json` process on the built-in sandbox:")
        print()
        print("| | wall time (process start to exit) | wall − vendor latency |")
        print("|---|---|---|")
        print(f"| p50 | {statistics.median(walls) * 1000:.0f} ms | {statistics.median(delays) * 1000:.0f} ms |")
        print(f"| p95 | {percentile(walls, 0.95) * 1000:.0f} ms | {percentile(delays, 0.95) * 1000:.0f} ms |")
        print(f"| max | {max(walls) * 1000:.0f} ms | {max(delays) * 1000:.0f} ms |")
        print()
        slow = [c for c in during if c["wall"] >= TARGET_S]
        print(f"- stored with the printed lookup_id (verified in the database): "
              f"{sum(1 for c in during if c['verified'])}/{len(during)}; over {TARGET_S:g} s: {len(slow)}"
              + (" (" + ", ".join(f"t={c['at']:.0f} s: {c['wall']:.1f} s"
                               + (", stored after the last imported row" if c["after_rows"] else "")
                               for c in slow) + ")" if slow else ""))
    else:
        print("- no check ran during the import (it ended too soon)")
    for c in bad:
        print(f"- check {c['n']} ({c['phone']}): exit {c['exit']}, stored {c['stored']}, "
              f"lookup_id {c['lookup_id']}, verified {c['verified']}: {c['stderr']}")
    print(f"- verdict: {'PASS' if ok else 'FAIL'} (target: every check stored within {TARGET_S:g} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
