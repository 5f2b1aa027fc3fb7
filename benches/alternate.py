#!/usr/bin/env python3
"""Times whole commands by turns (A, B, C, A, B, C, ...) so that a machine whose speed drifts
(a shared VM, a page cache the host trims) weighs on each alike; prints median, p95 and mean
per command. Usage: benches/alternate.py [--runs N] [--warmup N] [--env NAME=VALUE ...] -- CMD1 -- CMD2 ...
Each CMD is one shell-quoted string; stdout and stderr go to /dev/null."""
import os, shlex, statistics, subprocess, sys, time

def main():
    args = sys.argv[1:]
    runs, warmup = 40, 5
    cmds, cur = [], None
    while args:
        a = args.pop(0)
        if a == "--runs":
            runs = int(args.pop(0))
        elif a == "--warmup":
            warmup = int(args.pop(0))
        elif a == "--":
            cur = None
            if args:
                cmds.append(args.pop(0))
        else:
            sys.exit(f"unknown argument {a}")
    times = {c: [] for c in cmds}
    for i in range(warmup + runs):
        for c in cmds:
            argv = shlex.split(c)
            env = dict(os.environ)
            while argv and "=" in argv[0] and not argv[0].startswith("/"):
                k, v = argv.pop(0).split("=", 1)
                env[k] = v
            t = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
            if i >= warmup:
                times[c].append((time.perf_counter() - t) * 1000)
    print("| command | median ms | p95 ms | mean ms | runs |")
    print("|---|---|---|---|---|")
    for c in cmds:
        t = sorted(times[c])
        p95 = t[min(len(t) - 1, int(round(0.95 * (len(t) - 1))))]
        print(f"| `{c}` | {statistics.median(t):.1f} | {p95:.1f} | {statistics.mean(t):.1f} | {len(t)} |")

main()
