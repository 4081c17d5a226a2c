//! Writes a deterministic attribution file of the shape of the reference set
//! (`tests/data/data/attribution_paths_small.csv` or, with `--journeys`,
//! `attribution_journeys_small.csv`) at any size, for benchmarks.
//!
//! ```text
//! cargo run --release --example gen_paths -- --paths 200000 [--seed 7] [--more 0.82] OUT.csv
//! cargo run --release --example gen_paths -- --journeys 500000 [--seed 7] OUT.csv
//! ```
//!
//! Paths: `path,total_conversions,total_conversion_value,total_null`, that
//! many **distinct** paths over the reference set's eight channels
//! (`search, social, email, sms, display, referral, direct, marketplace`,
//! unequally likely), joined by `" > "`; 1 to 21 touches drawn geometric
//! (mean 5.5; the distinct paths of a 200k file average 9.9 touches, 2M
//! touches in all, 20 MB), about one touch in six repeating the one before
//! (`search > search`), non-consecutive repeats and single touches; 1 to 12
//! journeys per path, about 58% of journeys converting (the large reference set's
//! P(conversion) is 0.549); values with two decimals, about 80 per
//! conversion. Journeys: `journey_id,path,hours_to_end,converted,conversion_value`,
//! one journey a row, paths as above (not distinct), hours to the end
//! non-increasing with one decimal, the last touch at 0.0. A usage error is
//! one `error: ...` line on stderr and exit code 2.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;

#[path = "common/args.rs"]
mod args;
#[path = "common/paths_gen.rs"]
mod paths_gen;

/// Writes a deterministic attribution path or journeys file for benchmarks.
#[derive(Debug, Parser)]
#[command(
    name = "gen_paths",
    version,
    override_usage = "gen_paths (--paths N | --journeys N) [--seed S] [--more P] OUT.csv"
)]
struct Cli {
    /// The CSV file to write.
    #[arg(value_name = "OUT.csv")]
    out: String,
    /// Distinct paths in a path file.
    #[arg(long, value_name = "N", conflicts_with = "journeys")]
    paths: Option<usize>,
    /// Journeys in a journeys file.
    #[arg(long, value_name = "N")]
    journeys: Option<usize>,
    /// Seed of the generator.
    #[arg(long, value_name = "S", default_value_t = 7)]
    seed: u64,
    /// The chance that a touch is followed by another (path files; default
    /// 0.82; lower gives shorter paths).
    #[arg(long, value_name = "P", default_value_t = paths_gen::MORE)]
    more: f64,
}

fn run(cli: &Cli) -> Result<(), String> {
    let text = match (cli.paths, cli.journeys) {
        (Some(n), None) => {
            if !(0.0..1.0).contains(&cli.more) {
                return Err(format!("--more {}: expected a chance in [0, 1)", cli.more));
            }
            paths_gen::paths_csv_with(n, cli.seed, cli.more).ok_or_else(|| {
                format!("--more {} gives too few distinct paths for {n}", cli.more)
            })?
        }
        (None, Some(n)) => paths_gen::journeys_csv(n, cli.seed),
        _ => return Err("give one of --paths N or --journeys N".to_owned()),
    };
    let file = File::create(&cli.out).map_err(|e| format!("cannot create {:?}: {e}", cli.out))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    w.write_all(text.as_bytes())
        .and_then(|()| w.flush())
        .map_err(|e| format!("cannot write {:?}: {e}", cli.out))
}

fn main() -> ExitCode {
    args::main_with::<Cli>(run, 2)
}
