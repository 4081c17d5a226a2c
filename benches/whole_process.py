"""Whole-process comparison of two commands, taken in turn: one warm-up run of
each, then RUNS alternating pairs. For each command: the median wall time, CPU
time (user + sys) and peak memory (max RSS, from the kernel's rusage of the
child, as /usr/bin/time -v reports it); and the median of the per-pair ratios
A/B. Linux only (os.wait4). The commands' output is discarded.

Usage: python benches/whole_process.py [--runs 5] -- "COMMAND A" "COMMAND B"
e.g.   python benches/whole_process.py --runs 5 -- \
         "target/release/examples/pyramid target/bench-data/survey_1000000.csv --threads 1" \
         "python benches/pingouin_job.py target/bench-data/survey_1000000.csv"
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import time


def measure(cmd):
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"{shlex.join(cmd)} exited with {p.returncode}")
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "peak_mib": ru.ru_maxrss / 1024}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("commands", nargs=2, metavar="COMMAND")
    a = ap.parse_args()
    cmds = [shlex.split(c) for c in a.commands]
    for c in cmds:
        measure(c)  # warm-up
    runs = [[], []]
    for _ in range(a.runs):
        for i, c in enumerate(cmds):
            runs[i].append(measure(c))
    out = {}
    for name, c, r in zip("AB", a.commands, runs):
        out[name] = {"command": c, **{k: statistics.median(x[k] for x in r) for k in r[0]}}
    out["ratio_A_over_B"] = {
        k: statistics.median(x[k] / y[k] for x, y in zip(*runs)) for k in runs[0][0]
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
