//! Writing the result to stdout without panicking when the reader has gone
//! away (`example ... | head`).

use std::io::{ErrorKind, Write};

/// Writes `text` and a newline to stdout. A closed pipe is not an error (the
/// reader has what it wanted); any other write error is returned as text.
pub fn emit(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => Err(format!("cannot write to stdout: {e}")),
        _ => Ok(()),
    }
}

/// Prints a successful result, or the error as one `error: ...` line on
/// stderr; exit code 0, or 2 for any error. (Not every example that includes
/// this file uses it.)
#[allow(dead_code)]
pub fn exit_with(result: Result<String, String>) -> std::process::ExitCode {
    match result.and_then(|text| emit(&text)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
