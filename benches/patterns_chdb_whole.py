"""Whole process: load the CSV into a Memory table and run one sequenceMatch or
sequenceCount query (the peer of the `patterns` example in
benches/whole_process.py); prints the result counts as CSV (`level,users`).
Usage: python benches/patterns_chdb_whole.py EVENTS.csv PATTERN CONDITIONS [count]
CONDITIONS: event names, comma-separated (condition N: event = the N-th name);
`count` runs sequenceCount instead of sequenceMatch."""
import sys
from chdb import session as chs
path, pattern, conds = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
fn = "sequenceCount" if len(sys.argv) > 4 and sys.argv[4] == "count" else "sequenceMatch"
cond_sql = ", ".join(f"event = '{c}'" for c in conds)
s = chs.Session()
s.query("CREATE DATABASE IF NOT EXISTS b")
s.query("CREATE TABLE b.events (user_id UInt64, ts DateTime('UTC'), event LowCardinality(String)) ENGINE = Memory")
s.query(f"INSERT INTO b.events SELECT user_id, parseDateTimeBestEffort(ts, 'UTC'), event FROM file('{path}', 'CSVWithNames', 'user_id UInt64, ts String, event String')")
print(s.query(f"SELECT level, count() AS users FROM (SELECT user_id, {fn}('{pattern}')(ts, {cond_sql}) AS level FROM b.events GROUP BY user_id) GROUP BY level ORDER BY level", "CSV").bytes().decode())
