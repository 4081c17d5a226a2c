"""The per-customer features an analyst would write in SQL instead of the
`personas` example, run by DuckDB on two threads over the same event CSV, with
the result written to a CSV: sessions by a 30-minute gap, product views,
distinct products and categories viewed, comparisons, reviews read, orders,
the discounted share of orders, and the first and last order, up to the end
of the as-of day (UTC). Event names are those of the crate's standard map
(GA4, Segment v2 and the crate's own kind names) for these kinds.

Usage: python benches/personas_duckdb.py EVENTS.csv OUT.csv [--as-of YYYY-MM-DD]
e.g.   python benches/personas_duckdb.py target/bench-data/personas_120k.csv /tmp/features.csv
Needs `duckdb` (benches/requirements.txt).
"""
import argparse

import duckdb

VIEW = "('view_item', 'Product Viewed', 'product_view')"
COMPARISON = "('comparison')"
REVIEW_READ = "('review_read')"
ORDER = "('purchase', 'Order Completed', 'order_completed')"

SQL = f"""
COPY (
  WITH ev AS (
    SELECT user_id, CAST(ts AS TIMESTAMP) AS ts, event, product_id, category,
           coalesce(discounted, false) AS discounted
    FROM read_csv($input, header = true, columns = {{
      'user_id': 'VARCHAR', 'ts': 'VARCHAR', 'event': 'VARCHAR', 'channel': 'VARCHAR',
      'order_id': 'VARCHAR', 'product_id': 'VARCHAR', 'category': 'VARCHAR',
      'value': 'DECIMAL(18, 2)', 'discounted': 'BOOLEAN'}})
    WHERE CAST(ts AS TIMESTAMP) < CAST($as_of AS DATE) + INTERVAL 1 DAY
  ),
  marked AS (
    SELECT *,
      CASE WHEN ts - lag(ts) OVER (PARTITION BY user_id ORDER BY ts) <= INTERVAL 30 MINUTE
           THEN 0 ELSE 1 END AS new_session
    FROM ev
  )
  SELECT user_id,
    sum(new_session) AS sessions,
    count(*) FILTER (WHERE event IN {VIEW}) AS views,
    count(DISTINCT product_id) FILTER (WHERE event IN {VIEW}) AS distinct_products,
    count(DISTINCT category) FILTER (WHERE event IN {VIEW}) AS distinct_categories,
    count(*) FILTER (WHERE event IN {COMPARISON}) AS comparisons,
    count(*) FILTER (WHERE event IN {REVIEW_READ}) AS reviews_read,
    count(*) FILTER (WHERE event IN {ORDER}) AS orders,
    avg(CASE WHEN discounted THEN 1.0 ELSE 0.0 END) FILTER (WHERE event IN {ORDER})
      AS discounted_share,
    min(ts) FILTER (WHERE event IN {ORDER}) AS first_order,
    max(ts) FILTER (WHERE event IN {ORDER}) AS last_order
  FROM marked
  GROUP BY user_id
  ORDER BY user_id
) TO '{{out}}' (HEADER, DELIMITER ',')
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("events")
    ap.add_argument("out")
    ap.add_argument("--as-of", default="2024-12-31")
    a = ap.parse_args()
    con = duckdb.connect()
    con.execute("SET threads = 2")
    # COPY ... TO takes no parameter for its file name.
    out = a.out.replace("'", "''")
    con.execute(SQL.replace("{out}", out), {"input": a.events, "as_of": a.as_of})


if __name__ == "__main__":
    main()
