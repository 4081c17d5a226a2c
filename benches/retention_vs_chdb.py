"""Side-by-side: chdb's daily cohort retention (Memory table, load excluded;
the exact SQL of `tests/data/ref/funnel_*_sql.json`, "retention_daily") vs the
crate's `retention` example, same machine, same run, interleaved:
  * `compute_seconds` of the example: the retention over the event log on all
    cores, after `read_csv` built the log (grouping done in the read);
  * `compute_seconds` with `--regroup`: grouping included (a new event log
    built from the rows in time order, as the file holds them, then the
    retention), the peer of chdb's query, which groups by user_id;
  * the example's whole process (read, group, retention, print).
Checks that the example's table equals chdb's. Needs benches/requirements.txt.
Usage: python benches/retention_vs_chdb.py EVENTS.csv BIN REPS
(BIN: target/release/examples/retention; EVENTS.csv from the gen_events example)"""
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
rows = int(s.query("SELECT count() FROM b.events", "CSV").bytes().decode().strip())
days = 7
conds = ", ".join(f"toDate(e.ts) = c.cohort + {k}" for k in range(days + 1))
sums = ", ".join(f"sum(r[{k + 1}]) AS d{k}" for k in range(days + 1))
q = (f"WITH c AS (SELECT user_id, toDate(min(ts)) AS cohort FROM b.events GROUP BY user_id) "
     f"SELECT cohort, count() AS users, {sums} FROM (SELECT e.user_id AS user_id, c.cohort AS cohort, "
     f"retention({conds}) AS r FROM b.events AS e INNER JOIN c ON e.user_id = c.user_id "
     f"GROUP BY e.user_id, c.cohort) GROUP BY cohort ORDER BY cohort")


def table_of_chdb(csv_text):
    out = []
    for line in csv_text.strip().splitlines():
        f = line.split(",")
        out.append({"cohort": f[0].strip('"'), "users": int(f[1]), "days": [int(x) for x in f[2:]]})
    return out


med = lambda v: sorted(v)[len(v) // 2]
ch, ch1, ours, ours_group, whole = [], [], [], [], []
same = True
for _ in range(reps):
    t = time.perf_counter()
    res = s.query(q, "CSV").bytes().decode()
    ch.append(time.perf_counter() - t)
    want = table_of_chdb(res)
    t = time.perf_counter()
    s.query(q + " SETTINGS max_threads = 1", "CSV").bytes()
    ch1.append(time.perf_counter() - t)
    t = time.perf_counter()
    p = subprocess.run([binary, path], capture_output=True, text=True, check=True)
    whole.append(time.perf_counter() - t)
    got = json.loads(p.stdout)
    ours.append(got["compute_seconds"])
    same = same and got["cohorts"] == want
    p = subprocess.run([binary, path, "--regroup"], capture_output=True, text=True, check=True)
    got = json.loads(p.stdout)
    ours_group.append(got["compute_seconds"])
    same = same and got["cohorts"] == want
out = {
    "rows": rows, "chdb_version": chdb.__version__, "load_s": load, "reps": reps,
    "chdb_query_s_median": med(ch), "chdb_query_s_min": min(ch),
    "chdb_1thread_query_s_median": med(ch1),
    "ours_compute_s_median": med(ours), "ours_compute_s_min": min(ours),
    "ours_grouping_included_s_median": med(ours_group), "ours_grouping_included_s_min": min(ours_group),
    "ours_whole_process_s_median": med(whole),
    "ratio_compute_median": med(ours) / med(ch),
    "ratio_grouping_included_median": med(ours_group) / med(ch),
    "ratio_grouping_included_vs_chdb_1thread": med(ours_group) / med(ch1),
    "same_table": same,
}
print(f"chdb {med(ch):.3f}s (1 thread {med(ch1):.3f}s)  ours: retention {med(ours):.3f}s (ratio {out['ratio_compute_median']:.2f}), "
      f"grouping included {med(ours_group):.3f}s (ratio {out['ratio_grouping_included_median']:.2f}), whole process {med(whole):.2f}s  same={same}", flush=True)
print(json.dumps(out, indent=1))
