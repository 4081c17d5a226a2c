"""The Python whole-process job the `rfm` example is compared with: read the
transactions CSV, run lifetimes.utils.summary_data_from_transaction_data and the
pandas RFM quintiles of SEMANTICS.md section 4, segment with the R x F grid,
and write the same CSV as the example to stdout.

Usage: python benches/rfm_lifetimes_job.py TRANSACTIONS.csv [AS_OF]
(AS_OF defaults to 2024-12-31; needs lifetimes 0.11.3 and pandas,
benches/requirements.txt)."""
import sys
import warnings

import pandas as pd

warnings.filterwarnings("ignore")
import lifetimes  # noqa: E402

path = sys.argv[1]
end = sys.argv[2] if len(sys.argv) > 2 else "2024-12-31"

tx = pd.read_csv(path)
tx.ts = pd.to_datetime(tx.ts, utc=True).dt.tz_localize(None)
summary = lifetimes.utils.summary_data_from_transaction_data(
    tx, "customer_id", "ts", monetary_value_col="amount",
    observation_period_end=end, freq="D")

day = pd.Timestamp(end)
w = tx[tx.ts.dt.floor("D") <= day]
g = w.groupby("customer_id")
rfm = pd.DataFrame({
    "recency_days": (day - g.ts.max().dt.floor("D")).dt.days,
    "frequency_tx": g.size(),
    "monetary_sum": g.amount.sum().round(2),
    "discounted_share": g.discounted.mean(),
}).sort_index()
labels = [1, 2, 3, 4, 5]
rfm["r_score"] = pd.qcut(rfm.recency_days.rank(method="first", ascending=False), 5, labels=labels).astype(int)
rfm["f_score"] = pd.qcut(rfm.frequency_tx.rank(method="first"), 5, labels=labels).astype(int)
rfm["m_score"] = pd.qcut(rfm.monetary_sum.rank(method="first"), 5, labels=labels).astype(int)
# The R x F grid (the crate's RuleSet::rf_grid), as the common regex map.
seg_map = {
    r"[1-2][1-2]": "hibernating", r"[1-2][3-4]": "at_risk", r"[1-2]5": "cant_lose_them",
    r"3[1-2]": "about_to_sleep", r"33": "need_attention", r"[3-4][4-5]": "loyal_customers",
    r"41": "promising", r"51": "new_customers", r"[4-5][2-3]": "potential_loyalists",
    r"5[4-5]": "champions",
}
code = rfm.r_score.astype(str) + rfm.f_score.astype(str)
rfm["segment"] = code.replace(seg_map, regex=True)
out = summary.join(rfm, how="inner")
out[["frequency", "recency", "T"]] = out[["frequency", "recency", "T"]].astype(int)
out.to_csv(sys.stdout, index_label="customer_id")
