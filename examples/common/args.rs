//! Command-line arguments for the examples (included with `#[path]`): clap's
//! derive API, with the examples' contract for usage errors: ONE line on
//! stderr, `error: <what is wrong>; usage: <usage>`, and exit code 2.
//! `--help` and `--version` print as clap prints them, with exit code 0.

#![allow(dead_code)]

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

/// Parses `args` (without the program's name) as `name`'s arguments; a usage
/// error (or `--help`) becomes one line of text.
pub fn parse_from<T: Parser>(name: &str, args: &[String]) -> Result<T, String> {
    T::try_parse_from(std::iter::once(name).chain(args.iter().map(String::as_str)))
        .map_err(|e| one_line::<T>(&e))
}

/// Parses the process's arguments. `--help` and `--version` print and give
/// exit code 0; a usage error prints one `error: ...` line and gives 2.
pub fn parse_or_exit<T: Parser>() -> Result<T, ExitCode> {
    T::try_parse().map_err(|e| match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // A closed stdout is not worth a panic here either.
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("error: {}", one_line::<T>(&e));
            ExitCode::from(2)
        }
    })
}

/// The whole `main` of an example that prints its own output: parse the
/// arguments as [`parse_or_exit`] does, run, and turn a failure into one
/// `error: ...` line on stderr and exit code `failure`.
pub fn main_with<T: Parser>(run: impl FnOnce(&T) -> Result<(), String>, failure: u8) -> ExitCode {
    match parse_or_exit::<T>() {
        Ok(cli) => match run(&cli) {
            Ok(()) => ExitCode::SUCCESS,
            Err(msg) => {
                eprintln!("error: {msg}");
                ExitCode::from(failure)
            }
        },
        Err(code) => code,
    }
}

/// clap's message in one line: its first paragraph (without the `error: `
/// prefix and tips), then the usage of `T`.
pub fn one_line<T: CommandFactory>(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let what: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim().trim_start_matches("error: "))
        .collect();
    let usage = T::command().render_usage().to_string();
    let usage = usage.trim().trim_start_matches("Usage:").trim();
    format!("{}; usage: {usage}", what.join(" "))
}
