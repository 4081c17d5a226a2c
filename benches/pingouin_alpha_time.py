"""Scoring-only timer for pingouin: the survey CSV is read into a DataFrame
first (not timed), then `pingouin.cronbach_alpha(nan_policy="pairwise")` is
timed on each of the five ORBE dimensions (min of REPS calls each, summed) and
on all 12 items alone (min of REPS calls); prints JSON with the seconds.

Usage: python benches/pingouin_alpha_time.py SURVEY.csv [REPS=3]
"""
import json
import os
import sys
import time

import pandas as pd
import pingouin as pg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pingouin_job import DIMS, GROUPS  # noqa: E402


def best(data, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        pg.cronbach_alpha(data=data, nan_policy="pairwise")
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    df = pd.read_csv(sys.argv[1])
    frames = {k: df[v].astype(float) for k, v in GROUPS.items()}
    per_dim = {k: best(frames[k], reps) for k in DIMS}
    out = {
        "five_dimensions_s": sum(per_dim.values()),
        "all12_s": best(frames["all12"], reps),
        "per_dimension_s": per_dim,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
