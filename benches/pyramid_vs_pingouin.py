"""Agreement check: the `pyramid` example against pandas + pingouin on the same
file. Compares 30 figures (alpha, the rounded Feldt bounds ci_low and ci_high,
mean of items and mean of respondent means, for the five dimensions and all12)
and prints the largest difference; exits 1 if one differs by more than 1e-10.

Usage: python benches/pyramid_vs_pingouin.py SURVEY.csv [BIN]
BIN defaults to target/release/examples/pyramid (cargo build --release --example pyramid).
"""
import json
import os
import subprocess
import sys

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pingouin_job import report  # noqa: E402

path = sys.argv[1]
binary = sys.argv[2] if len(sys.argv) > 2 else "target/release/examples/pyramid"
ours = json.loads(subprocess.run([binary, path], capture_output=True, text=True, check=True).stdout)
peer = report(pd.read_csv(path))
worst, compared, bad = 0.0, 0, []
for group, figures in peer.items():
    for key, want in figures.items():
        got = ours["dimensions"][group][key]
        diff = abs(got - want)
        compared += 1
        worst = max(worst, diff)
        if not diff <= 1e-10:
            bad.append(f"{group}.{key}: crate {got!r}, pingouin/pandas {want!r}")
print(json.dumps({"file": path, "compared": compared, "max_abs_diff": worst, "differ": bad}))
sys.exit(1 if bad else 0)
