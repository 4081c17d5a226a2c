"""Per-user check of the `patterns` example against chdb on a large file: for
each of the reference set's three patterns, every user's result from chdb and
from `--per-user`, with the reference set's tie flag (same-second events of
different conditions, whose order ClickHouse leaves undefined). Prints, per
pattern, how many users differ among the tie-free users (must be 0) and among
the others. Usage:
    python benches/patterns_diff_chdb.py EVENTS.csv BIN OUTDIR"""
import csv, os, subprocess, sys
from chdb import session as chs

path, binary, outdir = sys.argv[1], sys.argv[2], sys.argv[3]
s = chs.Session()
s.query("CREATE DATABASE IF NOT EXISTS b")
s.query("CREATE TABLE b.events (user_id UInt64, ts DateTime('UTC'), event LowCardinality(String)) ENGINE = Memory")
s.query(f"INSERT INTO b.events SELECT user_id, parseDateTimeBestEffort(ts, 'UTC'), event FROM file('{path}', 'CSVWithNames', 'user_id UInt64, ts String, event String')")
CONFIGS = {
    "seq_p1": ("sequenceMatch", "(?1).*(?2).*(?3)", ["product_view", "add_to_cart", "purchase"]),
    "seq_p2": ("sequenceMatch", "(?1)(?t<=3600)(?2)", ["add_to_cart", "purchase"]),
    "seqcount_p3": ("sequenceCount", "(?1).*(?2)", ["product_view", "purchase"]),
}
failed = False
for name, (fn, pattern, conds) in CONFIGS.items():
    cond_sql = ", ".join(f"event = '{c}'" for c in conds)
    names = ", ".join(f"'{c}'" for c in conds)
    q = (f"SELECT r.user_id, r.level, ifNull(t.tie, 0) FROM "
         f"(SELECT user_id, {fn}('{pattern}')(ts, {cond_sql}) AS level FROM b.events GROUP BY user_id) AS r "
         f"LEFT JOIN (SELECT user_id, toUInt8(max(c) > 1) AS tie FROM (SELECT user_id, ts, uniqExact(event) AS c "
         f"FROM b.events WHERE event IN ({names}) GROUP BY user_id, ts) GROUP BY user_id) AS t ON r.user_id = t.user_id "
         f"SETTINGS join_use_nulls = 1")
    theirs = {}
    for line in s.query(q, "CSV").bytes().decode().strip().splitlines():
        u, level, tie = line.split(",")
        theirs[int(u)] = (int(level), int(tie))
    out = os.path.join(outdir, f"{name}.csv")
    args = [binary, path, "--pattern", pattern, "--conditions", ",".join(conds), "--per-user", out]
    if fn == "sequenceCount":
        args.append("--count")
    subprocess.run(args, check=True, capture_output=True)
    ours = {int(r["user_id"]): int(r["result"]) for r in csv.DictReader(open(out))}
    tie_users = sum(1 for _, t in theirs.values() if t)
    differ_free = sum(1 for u, (l, t) in theirs.items() if not t and ours.get(u) != l)
    differ_tie = sum(1 for u, (l, t) in theirs.items() if t and ours.get(u) != l)
    missing = len(set(theirs) ^ set(ours))
    failed |= differ_free > 0 or missing > 0
    print(f"{name}: {len(theirs)} users, {tie_users} with ties; differ: {differ_free} tie-free, "
          f"{differ_tie} with ties; users in one output only: {missing}", flush=True)
sys.exit(1 if failed else 0)
