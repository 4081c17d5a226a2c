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
