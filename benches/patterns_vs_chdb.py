"""Side-by-side: chdb sequenceMatch / sequenceCount (Memory table, load
excluded) vs the crate's `patterns` example (compute_seconds = matching every
customer of the event log on all cores, after `read_csv` built the log,
grouping included in the read; its whole process timed too), same machine,
same run, interleaved. The three patterns of the reference set
(`tests/data/ref/funnel_small_sql.json`: seq_p1, seq_p2, seqcount_p3), with
their exact SQL. Needs benches/requirements.txt.
Usage: python benches/patterns_vs_chdb.py EVENTS.csv BIN REPS
(BIN: target/release/examples/patterns; EVENTS.csv from the gen_events example)"""
import json, subprocess, sys, time
import chdb
from chdb import session as chs

path, binary, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = chs.Session()
s.query("CREATE DATABASE IF NOT EXISTS b")
s.query("CREATE TABLE b.events (user_id UInt64, ts DateTime('UTC'), event LowCardinality(String)) ENGINE = Memory")
t = time.perf_counter()
s.query(f"INSERT INTO b.events SELECT user_id, parseDateTimeBestEffort(ts, 'UTC'), event FROM file('{path}', 'CSVWithNames', 'user_id UInt64, ts String, event String')")
load = time.perf_counter() - t
rows = s.query("SELECT count() FROM b.events", "CSV").bytes().decode().strip()
CONFIGS = {
    "seq_p1": ("sequenceMatch", "(?1).*(?2).*(?3)", ["product_view", "add_to_cart", "purchase"]),
    "seq_p2": ("sequenceMatch", "(?1)(?t<=3600)(?2)", ["add_to_cart", "purchase"]),
    "seqcount_p3": ("sequenceCount", "(?1).*(?2)", ["product_view", "purchase"]),
}
out = {"rows": int(rows), "chdb_version": chdb.__version__, "load_s": load, "configs": {}}
med = lambda v: sorted(v)[len(v) // 2]
for name, (fn, pattern, conds) in CONFIGS.items():
    cond_sql = ", ".join(f"event = '{c}'" for c in conds)
    q = (f"SELECT level, count() AS users FROM (SELECT user_id, {fn}('{pattern}')(ts, {cond_sql}) AS level "
         f"FROM b.events GROUP BY user_id) GROUP BY level ORDER BY level")
    ch, ch1, ours, whole = [], [], [], []
    levels = None
    res = None
    for _ in range(reps):
        t = time.perf_counter()
        text = s.query(q, "CSV").bytes().decode()
        ch.append(time.perf_counter() - t)
        levels = {int(l.split(",")[0]): int(l.split(",")[1]) for l in text.strip().splitlines()}
        t = time.perf_counter()
        s.query(q + " SETTINGS max_threads = 1", "CSV").bytes()
        ch1.append(time.perf_counter() - t)
        args = [binary, path, "--pattern", pattern, "--conditions", ",".join(conds)]
        if fn == "sequenceCount":
            args.append("--count")
        t = time.perf_counter()
        p = subprocess.run(args, capture_output=True, text=True, check=True)
        whole.append(time.perf_counter() - t)
        res = json.loads(p.stdout)
        ours.append(res["compute_seconds"])
    matched = sum(c for l, c in levels.items() if l > 0)
    total = sum(l * c for l, c in levels.items())
    out["configs"][name] = {
        "chdb_query_s_min": min(ch), "chdb_query_s_median": med(ch),
        "chdb_1thread_query_s_median": med(ch1),
        "ours_compute_s_min": min(ours), "ours_compute_s_median": med(ours),
        "ours_whole_process_s_median": med(whole),
        "ratio_median": med(ours) / med(ch), "ratio_min": min(ours) / min(ch),
        "ratio_vs_chdb_1thread": med(ours) / med(ch1),
        "matched_users_ours": res["matched_users"], "matched_users_chdb": matched,
        "total_matches_ours": res.get("total_matches", res["matched_users"]), "total_matches_chdb": total,
    }
    print(f"{name}: chdb {med(ch):.3f}s (min {min(ch):.3f}s, 1 thread {med(ch1):.3f}s)  "
          f"ours {med(ours):.3f}s (min {min(ours):.3f}s, whole process {med(whole):.2f}s)  "
          f"ratio {med(ours) / med(ch):.2f}  matched users {res['matched_users']} (chdb {matched})", flush=True)
print(json.dumps(out, indent=1))
