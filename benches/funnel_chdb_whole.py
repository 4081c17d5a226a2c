"""Whole process: load the CSV into a Memory table and run one windowFunnel query."""
import sys
from chdb import session as chs
path = sys.argv[1]
s = chs.Session()
s.query("CREATE DATABASE IF NOT EXISTS b")
s.query("CREATE TABLE b.events (user_id UInt64, ts DateTime('UTC'), event LowCardinality(String)) ENGINE = Memory")
s.query(f"INSERT INTO b.events SELECT user_id, parseDateTimeBestEffort(ts, 'UTC'), event FROM file('{path}', 'CSVWithNames', 'user_id UInt64, ts String, event String')")
print(s.query("SELECT level, count() AS users FROM (SELECT user_id, windowFunnel(3600)(ts, event = 'product_view', event = 'add_to_cart', event = 'checkout_start', event = 'purchase') AS level FROM b.events GROUP BY user_id) GROUP BY level ORDER BY level", "CSV").bytes().decode())
