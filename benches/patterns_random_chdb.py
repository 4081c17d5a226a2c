"""Differential check of the `patterns` example against chdb's sequenceMatch
and sequenceCount on random small event logs and random patterns (every
element, time conditions of every comparison, rows meeting no condition).
Times rise by 1 to 4 seconds per row of a user, so that no two events of a
user share a second (ClickHouse orders such events arbitrarily); patterns end
in an element that cannot match the empty rest (where ClickHouse reads past
the end of its pattern, its answer depends on memory). Usage:
    python benches/patterns_random_chdb.py BIN OUTDIR CASES
Prints one line per (case, pattern, mode) that differs, and a summary."""
import csv, datetime, os, random, subprocess, sys
from chdb import session as chs

binary, outdir, cases = sys.argv[1], sys.argv[2], int(sys.argv[3])
# conditions: event = a, b, c, d; x meets none
EVENTS = ["a", "b", "c", "d", "x"]
CONDS = ["a", "b", "c", "d"]
rng = random.Random(7)


def pattern():
    out, last_time = [], False
    for _ in range(rng.randint(1, 6)):
        r = rng.random()
        if r < 0.45:
            out.append(f"(?{rng.randint(1, 4)})"); last_time = False
        elif r < 0.6:
            out.append("."); last_time = False
        elif r < 0.8:
            out.append(".*"); last_time = False
        elif not last_time:
            op = rng.choice(["<=", "<", ">=", ">", "=="])
            out.append(f"(?t{op}{rng.randint(0, 8)})"); last_time = True
    out.append(rng.choice(["(?1)", "(?2)", "(?3)", "."]))
    return "".join(out)


s = chs.Session()
s.query("CREATE DATABASE IF NOT EXISTS b")
checked = differ = 0
for case in range(cases):
    path = os.path.join(outdir, f"case{case}.csv")
    with open(path, "w") as f:
        f.write("user_id,ts,event\n")
        for u in range(1, 61):
            t = 1_700_000_000
            for _ in range(rng.randint(0, 14)):
                t += rng.randint(1, 4)
                at = datetime.datetime.fromtimestamp(t, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                f.write(f"{u},{at},{rng.choice(EVENTS)}\n")
    s.query("DROP TABLE IF EXISTS b.ev")
    s.query("CREATE TABLE b.ev (user_id UInt64, ts DateTime('UTC'), event String) ENGINE = Memory")
    s.query(f"INSERT INTO b.ev SELECT user_id, parseDateTimeBestEffort(ts, 'UTC'), event FROM file('{path}', 'CSVWithNames', 'user_id UInt64, ts String, event String')")
    cond_sql = ", ".join(f"event = '{c}'" for c in CONDS)
    for _ in range(8):
        p = pattern()
        for fn, flag in (("sequenceMatch", []), ("sequenceCount", ["--count"])):
            q = f"SELECT user_id, {fn}('{p}')(ts, {cond_sql}) FROM b.ev GROUP BY user_id ORDER BY user_id"
            theirs = {int(a): int(b) for a, b in (l.split(",") for l in s.query(q, "CSV").bytes().decode().split())}
            out = os.path.join(outdir, f"case{case}.out.csv")
            run = subprocess.run([binary, path, "--pattern", p, "--conditions", ",".join(CONDS), "--per-user", out, *flag],
                                 capture_output=True, text=True)
            if run.returncode != 0:
                print(f"case {case} {p} {fn}: error {run.stderr.strip()}")
                differ += 1
                continue
            ours = {int(r["user_id"]): int(r["result"]) for r in csv.DictReader(open(out))}
            checked += 1
            if ours != theirs:
                differ += 1
                bad = [u for u in theirs if ours.get(u) != theirs[u]][:3]
                print(f"case {case} {p} {fn}: users {bad} ours {[ours.get(u) for u in bad]} chdb {[theirs[u] for u in bad]}")
print(f"{checked} (case, pattern, mode) checked, {differ} differ")
sys.exit(1 if differ else 0)
