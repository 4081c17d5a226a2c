"""Differential check of the `funnel` example against chdb's windowFunnel on
random small event logs, for modes the shared references do not cover
(strict_once, allow_reentry, combinations) and for step lists that repeat a
name (one row matching two steps). Usage:
    python benches/funnel_diff_chdb.py BIN OUTDIR CASES
Prints one line per (case, mode) that differs, and a summary."""
import random, subprocess, sys, os
import chdb

binary, outdir, cases = sys.argv[1], sys.argv[2], int(sys.argv[3])
EVENTS = ["a", "b", "c", "d", "x"]
MODES = ["default", "strict_order", "strict_deduplication", "strict_increase", "strict_once",
         "strict_order,allow_reentry", "strict_once,strict_increase", "strict_once,strict_order",
         "strict_once,strict_deduplication", "strict_deduplication,strict_increase",
         "strict_order,strict_deduplication", "strict_once,strict_order,allow_reentry"]
rng = random.Random(1)
checked = differ = 0
for case in range(cases):
    path = os.path.join(outdir, f"case{case}.csv")
    with open(path, "w") as f:
        f.write("user_id,ts,event\n")
        for u in range(1, 41):
            t = 1_700_000_000
            for _ in range(rng.randint(0, 12)):
                t += rng.choice([0, 0, 1, 5, 10, 30, 60, 61, 100])
                f.write(f"{u},{__import__('datetime').datetime.utcfromtimestamp(t).strftime('%Y-%m-%dT%H:%M:%SZ')},{rng.choice(EVENTS)}\n")
    window = rng.choice([0, 10, 30, 60, 100, 1000])
    steps = rng.sample(["a", "b", "c", "d"], rng.randint(1, 4))
    if rng.random() < 0.3 and len(steps) >= 2:
        steps.append(steps[0])  # a repeated name: one row matches two steps
    conds = ", ".join(f"event = '{s}'" for s in steps)
    for mode in MODES:
        opts = "" if mode == "default" else ", " + ", ".join(f"'{m}'" for m in mode.split(","))
        q = (f"SELECT user_id, windowFunnel({window}{opts})(ts, {conds}) AS level FROM "
             f"file('{path}', 'CSVWithNames', 'user_id UInt64, ts DateTime(\\'UTC\\'), event String') "
             f"GROUP BY user_id ORDER BY user_id")
        ref = chdb.query(q, "CSV").bytes().decode().split()
        ref = {int(l.split(",")[0]): int(l.split(",")[1]) for l in ref}
        for path_flag in ([],):  # one path since the funnel reads the event log
            out = os.path.join(outdir, "levels.csv")
            args = [binary, *path_flag, "--window", str(window), "--mode", mode, "--steps", ",".join(steps), "--levels", out, path]
            p = subprocess.run(args, capture_output=True, text=True)
            if p.returncode != 0:
                print("ERROR", case, mode, path_flag, p.stderr.strip()); differ += 1; continue
            ours = {int(l.split(",")[0]): int(l.split(",")[1]) for l in open(out).read().split()[1:]}
            checked += 1
            if ours != ref:
                differ += 1
                bad = [(u, ref.get(u), ours.get(u)) for u in sorted(set(ref) | set(ours)) if ref.get(u) != ours.get(u)]
                print(f"DIFF case {case} mode {mode} {path_flag} window {window} steps {steps}: (user, chdb, ours) {bad[:5]}")
print(f"checked {checked} (case, mode, path) triples, {differ} differ")
