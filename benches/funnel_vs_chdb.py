"""Side-by-side: chdb windowFunnel (Memory table, load excluded) vs the crate's
`funnel` example (compute_seconds = the funnel over the event log on all
cores, after `read_csv` built the log, grouping included in the read), same
machine, same run, interleaved. Needs benches/requirements.txt.
Usage: python benches/funnel_vs_chdb.py EVENTS.csv BIN REPS
(BIN: target/release/examples/funnel; EVENTS.csv from the gen_events example)"""
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
conds = "event = 'product_view', event = 'add_to_cart', event = 'checkout_start', event = 'purchase'"
out = {"rows": int(rows), "chdb_version": chdb.__version__, "load_s": load, "configs": {}}
for w in (3600, 604800):
    for m in ("default", "strict_order", "strict_deduplication", "strict_increase"):
        opt = "" if m == "default" else f", '{m}'"
        q = (f"SELECT level, count() AS users FROM (SELECT user_id, windowFunnel({w}{opt})(ts, {conds}) AS level "
             f"FROM b.events GROUP BY user_id) GROUP BY level ORDER BY level")
        ch, ch1, rs = [], [], []
        ch_counts = None
        ours = None
        for _ in range(reps):
            t = time.perf_counter()
            res = s.query(q, "CSV").bytes().decode()
            ch.append(time.perf_counter() - t)
            ch_counts = [int(l.split(",")[1]) for l in res.strip().splitlines()]
            t = time.perf_counter()
            s.query(q + " SETTINGS max_threads = 1", "CSV").bytes()
            ch1.append(time.perf_counter() - t)
            args = [binary, "--window", str(w), "--steps", "product_view,add_to_cart,checkout_start,purchase", path]
            if m != "default":
                args[1:1] = ["--mode", m]
            t = time.perf_counter()
            p = subprocess.run(args, capture_output=True, text=True, check=True)
            whole = time.perf_counter() - t
            ours = json.loads(p.stdout)
            rs.append((ours["compute_seconds"], whole))
        same = ours["at_level"] == ch_counts
        ch.sort(); ch1.sort(); rs.sort()
        med = lambda v: v[len(v) // 2]
        out["configs"][f"wf_{w}_{m}"] = {
            "chdb_query_s_min": ch[0], "chdb_query_s_median": med(ch),
            "chdb_1thread_query_s_median": med(ch1),
            "ours_compute_s_min": rs[0][0], "ours_compute_s_median": med([r[0] for r in rs]),
            "ours_whole_process_s_median": med(sorted(r[1] for r in rs)),
            "ratio_median": med([r[0] for r in rs]) / med(ch),
            "same_counts": same,
        }
        print(f"wf_{w}_{m}: chdb {med(ch):.3f}s (1 thread {med(ch1):.3f}s)  ours {med([r[0] for r in rs]):.3f}s  ratio {med([r[0] for r in rs]) / med(ch):.2f}  same={same}", flush=True)
print(json.dumps(out, indent=1))
