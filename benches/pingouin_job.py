"""Whole-process job with pandas and pingouin, the peer of the `pyramid` example:
read the survey CSV (pandas read_csv), Cronbach's alpha with pingouin
(`nan_policy="pairwise"`, its 95% interval) for the five ORBE dimensions and
all 12 items, and the dimension means (mean of items, mean of respondent
means); prints them as JSON.

Usage: python benches/pingouin_job.py SURVEY.csv
"""
import json
import sys

import numpy as np
import pandas as pd
import pingouin as pg

DIMS = {
    "ec": ["ec_1", "ec_2", "ec_3"],
    "oe": ["oe_1", "oe_2", "oe_3"],
    "rsn": ["rsn_1", "rsn_2"],
    "tr": ["tr_1", "tr_2"],
    "ful": ["ful_1", "ful_2"],
}
GROUPS = {**DIMS, "all12": [c for items in DIMS.values() for c in items]}


def report(df):
    """alpha, ci_low, ci_high, mean_of_items, mean_of_respondent_means per group."""
    out = {}
    for name, items in GROUPS.items():
        sub = df[items].astype(float)
        alpha, ci = pg.cronbach_alpha(data=sub, nan_policy="pairwise")
        values = sub.to_numpy()
        out[name] = {
            "alpha": float(alpha),
            "ci_low": float(ci[0]),
            "ci_high": float(ci[1]),
            # pooled: every non-missing answer of the group
            "mean_of_items": float(np.nanmean(values)),
            # each respondent's mean of non-missing items (NaN if none), then
            # the mean over respondents with at least one answer
            "mean_of_respondent_means": float(sub.mean(axis=1).mean()),
        }
    return out


def main():
    df = pd.read_csv(sys.argv[1])
    print(json.dumps({"n_rows": len(df), "dimensions": report(df)}))


if __name__ == "__main__":
    main()
