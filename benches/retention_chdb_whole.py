"""Whole process: load the CSV into a Memory table and run the daily cohort
retention query of the references (the peer of the `retention` example in
benches/whole_process.py); prints the table as CSV
(`cohort,users,d0,...,d7`).
Usage: python benches/retention_chdb_whole.py EVENTS.csv"""
import sys
from chdb import session as chs
path = sys.argv[1]
s = chs.Session()
s.query("CREATE DATABASE IF NOT EXISTS b")
s.query("CREATE TABLE b.events (user_id UInt64, ts DateTime('UTC'), event LowCardinality(String)) ENGINE = Memory")
s.query(f"INSERT INTO b.events SELECT user_id, parseDateTimeBestEffort(ts, 'UTC'), event FROM file('{path}', 'CSVWithNames', 'user_id UInt64, ts String, event String')")
conds = ", ".join(f"toDate(e.ts) = c.cohort + {k}" for k in range(8))
sums = ", ".join(f"sum(r[{k + 1}]) AS d{k}" for k in range(8))
print(s.query(f"WITH c AS (SELECT user_id, toDate(min(ts)) AS cohort FROM b.events GROUP BY user_id) "
              f"SELECT cohort, count() AS users, {sums} FROM (SELECT e.user_id AS user_id, c.cohort AS cohort, "
              f"retention({conds}) AS r FROM b.events AS e INNER JOIN c ON e.user_id = c.user_id "
              f"GROUP BY e.user_id, c.cohort) GROUP BY cohort ORDER BY cohort", "CSV").bytes().decode())
