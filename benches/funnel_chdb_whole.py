"""Whole process: load the CSV into a Memory table and run one windowFunnel query
(the peer of the `funnel` example in benches/whole_process.py); prints the
level counts as CSV (`level,users`).
Usage: python benches/funnel_chdb_whole.py EVENTS.csv [MODES]
MODES: optional windowFunnel modes, comma-separated (e.g. strict_once, or
strict_order,allow_reentry); window 3600, the four steps of the references."""
import sys
from chdb import session as chs
path = sys.argv[1]
modes = "".join(f", '{m}'" for m in sys.argv[2].split(",")) if len(sys.argv) > 2 else ""
s = chs.Session()
s.query("CREATE DATABASE IF NOT EXISTS b")
s.query("CREATE TABLE b.events (user_id UInt64, ts DateTime('UTC'), event LowCardinality(String)) ENGINE = Memory")
s.query(f"INSERT INTO b.events SELECT user_id, parseDateTimeBestEffort(ts, 'UTC'), event FROM file('{path}', 'CSVWithNames', 'user_id UInt64, ts String, event String')")
print(s.query(f"SELECT level, count() AS users FROM (SELECT user_id, windowFunnel(3600{modes})(ts, event = 'product_view', event = 'add_to_cart', event = 'checkout_start', event = 'purchase') AS level FROM b.events GROUP BY user_id) GROUP BY level ORDER BY level", "CSV").bytes().decode())
