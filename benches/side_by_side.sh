#!/usr/bin/env bash
# Side by side, scoring only, in alternating rounds on the same files:
#   survey: pingouin.cronbach_alpha(nan_policy="pairwise") on the five ORBE
#     dimensions (file already in a DataFrame, min of 3 calls per dimension,
#     summed) and on all 12 items alone (benches/pingouin_alpha_time.py),
#     then the `pyramid` example's compute_seconds (min of 3 runs) with
#     --threads 1 and with --threads 2;
#   NPS (if NPS.csv is given): pandas NPS overall and by persona on a loaded
#     DataFrame (benches/pandas_nps_time.py, min of 3), then the `nps`
#     example's compute_seconds (min of 3 runs).
# Prints one line per round and the median of the per-round ratios.
#
# Usage: benches/side_by_side.sh SURVEY.csv [NPS.csv] [ROUNDS=5]
# Needs: PYTHON (default python3) with benches/requirements.txt installed, and
#   cargo build --release --example pyramid --example nps
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-python3}
bin=${BIN_DIR:-$root/target/release/examples}
survey=${1:?usage: benches/side_by_side.sh SURVEY.csv [NPS.csv] [ROUNDS=5]}
nps=${2:-}
rounds=${3:-5}
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT

# min over 3 runs of the example's printed compute_seconds
compute() {
    for _ in 1 2 3; do
        "$@" | "$py" -c 'import json, sys; print(json.load(sys.stdin)["compute_seconds"])'
    done | sort -g | head -n 1
}

echo "round pingouin_5dims_s pingouin_all12_s crate_1thread_s crate_2threads_s"
for r in $(seq 1 "$rounds"); do
    peer=$("$py" "$root/benches/pingouin_alpha_time.py" "$survey" 3 \
        | "$py" -c 'import json, sys; d = json.load(sys.stdin); print(d["five_dimensions_s"], d["all12_s"])')
    one=$(compute "$bin/pyramid" "$survey" --threads 1)
    two=$(compute "$bin/pyramid" "$survey" --threads 2)
    echo "survey $r $peer $one $two" | tee -a "$rows" | cut -d' ' -f2-
done
if [ -n "$nps" ]; then
    echo "round pandas_nps_s crate_nps_s"
    for r in $(seq 1 "$rounds"); do
        peer=$("$py" "$root/benches/pandas_nps_time.py" "$nps" 3 \
            | "$py" -c 'import json, sys; print(json.load(sys.stdin)["nps_s"])')
        ours=$(compute "$bin/nps" "$nps" --group-by persona)
        echo "nps $r $peer $ours" | tee -a "$rows" | cut -d' ' -f2-
    done
fi

"$py" - "$rows" <<'PY'
import statistics, sys
survey, nps = [], []
for line in open(sys.argv[1]):
    f = line.split()
    (survey if f[0] == "survey" else nps).append([float(x) for x in f[2:]])
def show(what, ratios):
    print(f"{what}: median {statistics.median(ratios):.2f}x (rounds: "
          + ", ".join(f"{r:.2f}" for r in ratios) + ")")
if survey:
    show("pingouin 5 dimensions / crate 1 thread", [p / c1 for p, _, c1, _ in survey])
    show("pingouin 5 dimensions / crate 2 threads", [p / c2 for p, _, _, c2 in survey])
    show("pingouin 5 dimensions + all12 / crate 1 thread", [(p + a) / c1 for p, a, c1, _ in survey])
if nps:
    show("pandas NPS / crate NPS", [p / c for p, c in nps])
PY
