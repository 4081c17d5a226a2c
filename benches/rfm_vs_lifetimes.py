"""Side by side, one run, interleaved: lifetimes.utils.summary_data_from_transaction_data
(and the pandas RFM quintiles of SEMANTICS.md section 4) against the crate's `rfm`
example on the same transactions file. Checks that the outputs agree.

Usage: python benches/rfm_vs_lifetimes.py TRANSACTIONS.csv BIN [ROUNDS] [THREADS]
  TRANSACTIONS.csv  customer_id,ts,amount,discounted (the gen_transactions example)
  BIN               target/release/examples/rfm
  ROUNDS            rounds of each, taken in turn (default 5)
  THREADS           --threads for the example (default 1: one core, like pandas)

Timed on the Python side (data already in memory, `ts` already parsed, as in the
peer call of SEMANTICS.md): the lifetimes call alone, and the pandas RFM scores
(grouping, rank(method="first"), qcut). On the crate's side: `compute_seconds`
of the example (grouping the rows by customer and time, the per-customer pass,
ranking, scoring, segmenting; the CSV read before and written after are not in
it), in a fresh process (its first round) and warm (the median of two more
rounds in the same process, `--rounds 3`), and the example's whole process.
Needs lifetimes 0.11.3 and pandas (benches/requirements.txt)."""
import io
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import pandas as pd

warnings.filterwarnings("ignore")
import lifetimes  # noqa: E402

path, binary = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
threads = sys.argv[4] if len(sys.argv) > 4 else "1"
END = "2024-12-31"

t = time.perf_counter()
tx = pd.read_csv(path)
read_s = time.perf_counter() - t
t = time.perf_counter()
tx.ts = pd.to_datetime(tx.ts, utc=True).dt.tz_localize(None)
to_datetime_s = time.perf_counter() - t


def lifetimes_summary():
    return lifetimes.utils.summary_data_from_transaction_data(
        tx, "customer_id", "ts", monetary_value_col="amount",
        observation_period_end=END, freq="D")


def pandas_rfm():
    end = pd.Timestamp(END)
    w = tx[tx.ts.dt.floor("D") <= end]
    g = w.groupby("customer_id")
    rfm = pd.DataFrame({
        "recency_days": (end - g.ts.max().dt.floor("D")).dt.days,
        "frequency_tx": g.size(),
        "monetary_sum": g.amount.sum().round(2),
        "discounted_share": g.discounted.mean(),
    }).sort_index()
    labels = [1, 2, 3, 4, 5]
    rfm["r_score"] = pd.qcut(rfm.recency_days.rank(method="first", ascending=False), 5, labels=labels).astype(int)
    rfm["f_score"] = pd.qcut(rfm.frequency_tx.rank(method="first"), 5, labels=labels).astype(int)
    rfm["m_score"] = pd.qcut(rfm.monetary_sum.rank(method="first"), 5, labels=labels).astype(int)
    return rfm


def ours():
    """One process: the first round's compute (a fresh process), the median
    of two more rounds on a copy of the rows (memory the process has
    already touched, as in a long-running service or the Python process),
    and the whole process's wall time (read, three rounds, write)."""
    t = time.perf_counter()
    p = subprocess.run([binary, path, "--as-of", END, "--threads", threads, "--rounds", "3"],
                       capture_output=True, text=True, check=True)
    whole = time.perf_counter() - t
    line = json.loads(p.stderr.strip().splitlines()[-1])
    return line["compute_seconds"], statistics.median(line["rounds"][1:]), whole, p.stdout


lt, pr, oc, ow, ww = [], [], [], [], []
summary = scores = out = None
for _ in range(rounds):
    t = time.perf_counter()
    summary = lifetimes_summary()
    lt.append(time.perf_counter() - t)
    t = time.perf_counter()
    scores = pandas_rfm()
    pr.append(time.perf_counter() - t)
    c, warm, w, out = ours()
    oc.append(c)
    ow.append(warm)
    ww.append(w)

# The outputs agree: lifetimes within 1e-9 (money), the scores exactly.
mine = pd.read_csv(io.StringIO(out)).set_index("customer_id")
summary = summary.sort_index()
assert list(mine.index) == list(summary.index) == list(scores.index), "customers differ"
diff = {c: float((mine[c] - summary[c]).abs().max()) for c in ["frequency", "recency", "T", "monetary_value"]}
for c in ["recency_days", "frequency_tx", "r_score", "f_score", "m_score"]:
    diff[c] = float((mine[c] - scores[c]).abs().max())
for c in ["monetary_sum", "discounted_share"]:
    diff[c] = float((mine[c] - scores[c]).abs().max())
assert max(diff.values()) <= 1e-9, diff

med = statistics.median
pairs = [l / c for l, c in zip(lt, oc)]
pairs_warm = [l / c for l, c in zip(lt, ow)]
pairs_both = [(l + p) / c for l, p, c in zip(lt, pr, oc)]
res = {
    "file": path, "rows": len(tx), "customers": int(tx.customer_id.nunique()),
    "lifetimes_version": lifetimes.__version__, "pandas_version": pd.__version__,
    "rounds": rounds, "threads": threads, "load_average": os.getloadavg(),
    "pandas_read_csv_s": read_s, "pandas_to_datetime_s": to_datetime_s,
    "lifetimes_summary_s": lt, "pandas_rfm_scores_s": pr,
    "ours_compute_fresh_process_s": oc, "ours_compute_warm_s": ow, "ours_process_s": ww,
    "ratio_lifetimes_over_ours_fresh_median_of_pairs": med(pairs),
    "ratio_lifetimes_over_ours_warm_median_of_pairs": med(pairs_warm),
    "ratio_lifetimes_plus_pandas_rfm_over_ours_fresh_median_of_pairs": med(pairs_both),
    "max_abs_difference": diff,
}
print(f"rows {len(tx)}, customers {res['customers']}, {rounds} rounds, ours on {threads} thread(s), "
      f"load average {os.getloadavg()[0]:.1f}")
print(f"lifetimes summary        {med(lt):7.3f} s  (pandas read_csv {read_s:.3f} s, to_datetime {to_datetime_s:.3f} s, not timed)")
print(f"pandas RFM scores        {med(pr):7.3f} s")
print(f"ours, fresh process      {med(oc):7.3f} s  ratio lifetimes / ours {med(pairs):.1f}x, (lifetimes + pandas RFM) / ours {med(pairs_both):.1f}x")
print(f"ours, warm               {med(ow):7.3f} s  ratio lifetimes / ours {med(pairs_warm):.1f}x")
print(f"ours, whole process (read, 3 rounds, write) {med(ww):.3f} s")
print("(medians; ratios are medians of the per-round ratios; outputs agree: max difference "
      f"{max(diff.values()):.2e})")
print(json.dumps(res, indent=1))
