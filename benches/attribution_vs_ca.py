"""Side-by-side: ChannelAttribution 2.2.5 (`heuristic_models`, `markov_model`
with the package's default settings) against the crate's `attribution`
example on the same path file, same machine, same run, interleaved.

ChannelAttribution is timed on a DataFrame already in memory (pandas'
read_csv is timed apart and not charged to it); the crate is timed as a
whole process (start, read the file, parse the CSV, every model, print JSON)
and by its `compute_seconds` (parse + models); CPU seconds too (the crate's
process on all its threads, user + system; ChannelAttribution's call). Ratios
are ChannelAttribution's median call time over the crate's median
whole-process time, unless named otherwise.

Needs ChannelAttribution==2.2.5 and pandas (benches/requirements.txt).
Usage: python benches/attribution_vs_ca.py PATHS.csv BIN [REPS]
(BIN: target/release/examples/attribution; PATHS.csv from
`cargo run --release --example gen_paths -- --paths 200000 OUT.csv`)"""
import contextlib, io, json, resource, subprocess, sys, time

import ChannelAttribution as ca
import pandas as pd

path, binary = sys.argv[1], sys.argv[2]
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5


def quiet(f):
    with contextlib.redirect_stdout(io.StringIO()):
        return f()


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def ours(args):
    """Wall seconds, CPU seconds (all threads, user + system) and the JSON."""
    c = children_cpu()
    t = time.perf_counter()
    p = subprocess.run([binary, *args, path], capture_output=True, text=True, check=True)
    return time.perf_counter() - t, children_cpu() - c, json.loads(p.stdout)


t = time.perf_counter()
df = pd.read_csv(path)
read_s = time.perf_counter() - t
rows = {k: [] for k in ("ca_heuristic", "ca_heuristic_cpu", "ca_markov", "ca_markov_cpu",
                         "ours_all", "ours_all_cpu", "ours_all_compute",
                         "ours_heuristics", "ours_heuristics_cpu", "ours_heuristics_compute")}
rows["pandas_read_csv"] = [read_s]
for _ in range(reps):
    c, t = time.process_time(), time.perf_counter()
    h = quiet(lambda: ca.heuristic_models(df, "path", "total_conversions",
                                          var_value="total_conversion_value", sep=">"))
    rows["ca_heuristic"].append(time.perf_counter() - t)
    rows["ca_heuristic_cpu"].append(time.process_time() - c)
    wall, cpu, heur = ours(["--models", "heuristics"])
    rows["ours_heuristics"].append(wall)
    rows["ours_heuristics_cpu"].append(cpu)
    rows["ours_heuristics_compute"].append(heur["compute_seconds"])
    c, t = time.process_time(), time.perf_counter()
    m = quiet(lambda: ca.markov_model(df, "path", "total_conversions", var_value="total_conversion_value",
                                      var_null="total_null", sep=">"))
    rows["ca_markov"].append(time.perf_counter() - t)
    rows["ca_markov_cpu"].append(time.process_time() - c)
    wall, cpu, full = ours([])
    rows["ours_all"].append(wall)
    rows["ours_all_cpu"].append(cpu)
    rows["ours_all_compute"].append(full["compute_seconds"])

med = {k: sorted(v)[len(v) // 2] for k, v in rows.items()}
# Agreement: heuristics to rounding; Markov within ChannelAttribution's
# simulation error.
h = h.set_index("channel_name")
m = m.set_index("channel_name")
heur_diff = max(
    abs(full["channels"][c][k]["conversions"] - h.loc[c, f"{col}_conversions"]) / max(1e-9, abs(h.loc[c, f"{col}_conversions"]))
    for c in h.index for k, col in (("first_touch", "first_touch"), ("last_touch", "last_touch"), ("linear", "linear_touch")))
markov_diff = max(
    abs(full["channels"][c]["markov"]["conversions"] - m.loc[c, "total_conversions"]) / m.loc[c, "total_conversions"]
    for c in m.index)
with open("/proc/loadavg") as f:
    load = f.read().split()[:3]
out = {
    "file": path, "paths": len(df), "reps": reps, "load_average_after": load,
    "median_seconds": med,
    "ratio_markov_model_vs_ours_all_models_whole_process": med["ca_markov"] / med["ours_all"],
    "ratio_heuristic_models_vs_ours_heuristics_whole_process": med["ca_heuristic"] / med["ours_heuristics"],
    "ratio_markov_model_vs_ours_all_compute": med["ca_markov"] / med["ours_all_compute"],
    "ratio_heuristic_models_vs_ours_heuristics_compute": med["ca_heuristic"] / med["ours_heuristics_compute"],
    "ratio_cpu_markov_model_vs_ours_all_models": med["ca_markov_cpu"] / med["ours_all_cpu"],
    "ratio_cpu_heuristic_models_vs_ours_heuristics": med["ca_heuristic_cpu"] / med["ours_heuristics_cpu"],
    "ratio_read_csv_plus_heuristic_models_vs_ours_heuristics_whole_process":
        (med["pandas_read_csv"] + med["ca_heuristic"]) / med["ours_heuristics"],
    "max_rel_diff_heuristic_conversions": heur_diff,
    "max_rel_diff_markov_conversions_vs_ca_simulation": markov_diff,
}
print(json.dumps(out, indent=1))
