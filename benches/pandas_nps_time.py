"""Scoring-only timer for pandas NPS: the NPS CSV is read into a DataFrame
first (not timed), then NPS overall and by persona (pandas_nps.py's `nps`) is
timed, min of REPS calls; prints JSON with the seconds.

Usage: python benches/pandas_nps_time.py NPS.csv [REPS=3]
"""
import json
import os
import sys
import time

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pandas_nps import nps  # noqa: E402


def main():
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    df = pd.read_csv(sys.argv[1])
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        nps(df)
        times.append(time.perf_counter() - t)
    print(json.dumps({"nps_s": min(times)}))


if __name__ == "__main__":
    main()
