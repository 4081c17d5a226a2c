"""Whole-process job with pandas, the peer of the `nps` example: read the NPS
CSV (pandas read_csv), then NPS overall and by persona (promoters 9-10,
detractors 0-6, unanswered excluded); prints JSON.

Usage: python benches/pandas_nps.py NPS.csv
"""
import json
import sys

import pandas as pd


def nps(df):
    score = df["score"]
    parts = pd.DataFrame(
        {
            "persona": df["persona"],
            "n": score.notna(),
            "promoters": score >= 9,
            "detractors": score <= 6,
        }
    )
    groups = parts.groupby("persona")[["n", "promoters", "detractors"]].sum()
    groups.loc["ALL"] = parts[["n", "promoters", "detractors"]].sum()
    groups["nps"] = 100.0 * (groups["promoters"] - groups["detractors"]) / groups["n"]
    return groups


def main():
    df = pd.read_csv(sys.argv[1])
    g = nps(df)
    out = {k: {"n": int(r.n), "nps": float(r.nps)} for k, r in g.iterrows()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
