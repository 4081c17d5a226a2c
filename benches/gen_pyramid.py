"""Survey and NPS files of the shape of tests/data/data/survey_small.csv and
nps_small.csv at any size, for the pyramid and NPS comparisons (benches/README.md).

Usage: python benches/gen_pyramid.py OUTDIR [--rows 1000000] [--seed 7]

Writes OUTDIR/survey_ROWS.csv and OUTDIR/nps_ROWS.csv (deterministic for a seed):
* survey: `respondent_id,ec_1,ec_2,ec_3,oe_1,oe_2,oe_3,rsn_1,rsn_2,tr_1,tr_2,ful_1,ful_2`;
  each answer is a general factor plus the factor of its dimension plus noise,
  rounded to 1..7; an empty cell is a missing answer: about 4% of cells missing
  at random, 1% of respondents skipping one whole dimension, 0.2% answering nothing.
* NPS: `respondent_id,persona,score`; one of five personas, a 0..10 score
  whose level depends on the persona, 3% unanswered (empty score).
"""
import argparse
import os

import numpy as np

DIMS = [("ec", 3, 4.2), ("oe", 3, 5.0), ("rsn", 2, 4.6), ("tr", 2, 5.1), ("ful", 2, 5.2)]
PERSONAS = ["bargain_hunter", "loyalist", "researcher", "impulse_buyer", "gift_shopper"]
PERSONA_SHARE = [0.25, 0.20, 0.20, 0.20, 0.15]
PERSONA_MEAN = [6.0, 8.6, 7.2, 7.6, 7.0]


def write_csv(path, header, columns):
    """Writes string columns (numpy arrays of equal length) as CSV lines."""
    line = columns[0]
    for col in columns[1:]:
        line = np.strings.add(np.strings.add(line, ","), col)
    with open(path, "w", newline="\n") as f:
        f.write(header + "\n")
        f.write("\n".join(line.tolist()))
        f.write("\n")


def survey(rng, n):
    general = rng.standard_normal(n)
    items, names = [], []
    for dim, k, centre in DIMS:
        factor = rng.standard_normal(n)
        for j in range(k):
            x = centre + 0.9 * general + 0.6 * factor + 0.8 * rng.standard_normal(n)
            items.append(np.clip(np.rint(x), 1, 7).astype(np.int8))
            names.append(f"{dim}_{j + 1}")
    answers = np.stack(items, axis=1)  # n x 12, 1..7
    answers[rng.random(answers.shape) < 0.04] = 0  # 0 = missing
    first = np.cumsum([0] + [k for _, k, _ in DIMS])
    skip = np.flatnonzero(rng.random(n) < 0.01)
    dim_of = rng.integers(0, len(DIMS), skip.size)
    for d in range(len(DIMS)):
        rows = skip[dim_of == d]
        answers[rows, first[d]:first[d + 1]] = 0
    answers[rng.random(n) < 0.002, :] = 0
    text = np.array(["", "1", "2", "3", "4", "5", "6", "7"])
    ids = np.arange(1, n + 1).astype(str)
    cols = [ids] + [text[answers[:, j]] for j in range(answers.shape[1])]
    return "respondent_id," + ",".join(names), cols


def nps(rng, n):
    persona = rng.choice(len(PERSONAS), size=n, p=PERSONA_SHARE)
    mean = np.array(PERSONA_MEAN)[persona]
    score = np.clip(np.rint(mean + 2.0 * rng.standard_normal(n)), 0, 10).astype(np.int64)
    text = score.astype(str)
    text[rng.random(n) < 0.03] = ""
    ids = np.arange(1, n + 1).astype(str)
    return "respondent_id,persona,score", [ids, np.array(PERSONAS)[persona], text]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    for name, make in [("survey", survey), ("nps", nps)]:
        path = os.path.join(a.outdir, f"{name}_{a.rows}.csv")
        header, cols = make(rng, a.rows)
        write_csv(path, header, cols)
        print(path)


if __name__ == "__main__":
    main()
