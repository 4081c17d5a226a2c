//! The pattern language of ClickHouse's `sequenceMatch`, parsed once.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::pattern::kernel::{Cmp, Program, Tok};

/// The most conditions a pattern can refer to (`(?1)` to `(?32)`), as in
/// ClickHouse.
pub const MAX_CONDITIONS: usize = 32;

/// The most elements a pattern may have (conditions, `.`, `.*` and time
/// conditions, as written). Matching takes time proportional to the number
/// of elements times the number of events.
pub const MAX_ELEMENTS: usize = 64;

/// A journey pattern in the syntax of ClickHouse's `sequenceMatch` and
/// `sequenceCount`, parsed and checked once.
///
/// | element | matches |
/// |---|---|
/// | `(?N)` | one event that meets condition `N` (1 to 32) |
/// | `.` | any one event |
/// | `.*` | any number of events, none included |
/// | `(?t<=S)`, `(?t<S)`, `(?t>=S)`, `(?t>S)`, `(?t==S)` | the next event's time compared with the time of the event before: at most, less than, at least, more than or exactly `S` whole seconds later; events between them are skipped |
///
/// "Events" are the rows that meet at least one of the conditions; the
/// others are left out before matching, as ClickHouse does. A pattern may
/// match anywhere (it starts with an implicit `.*`) and need not reach the
/// last event. A time condition must follow a condition, `.` or `.*`.
///
/// ```
/// use cxjourney::pattern::Pattern;
/// let p: Pattern = "(?1)(?t<=3600)(?2)".parse()?;
/// assert_eq!(p.conditions(), 2);
/// assert!(p.has_time());
/// // (seconds, conditions met: bit 0 = condition 1, ...)
/// assert!(p.sequence_match(&[(0, 0b01), (10, 0b01), (3_610, 0b10)]));
/// assert!(!p.sequence_match(&[(0, 0b01), (3_601, 0b10)]));
///
/// let err = "(?1).*(?x)".parse::<Pattern>().unwrap_err();
/// assert!(err.to_string().contains("position 8"), "{err}");
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    program: Program,
    /// The highest condition number, and where it is first written.
    highest: Option<(usize, usize)>,
    has_time: bool,
}

impl Pattern {
    /// Parses a pattern.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] with field `pattern`, the pattern and the
    /// byte position (0-based, as ClickHouse counts it) of the first thing
    /// that is wrong: an unknown element, a condition number that is 0 or
    /// above 32, a missing number or `)`, an unknown comparison, a time
    /// condition after a time condition, an empty pattern, more than
    /// [`MAX_ELEMENTS`] elements.
    pub fn new(text: &str) -> Result<Pattern> {
        let mut p = Parser {
            text,
            pos: 0,
            toks: Vec::new(),
        };
        let mut highest: Option<(usize, usize)> = None;
        let mut has_time = false;
        if text.is_empty() {
            return Err(p.error(0, "a pattern needs at least one element"));
        }
        while p.pos < text.len() {
            let at = p.pos;
            if p.toks.len() == MAX_ELEMENTS {
                return Err(p.error(at, "a pattern has at most 64 elements"));
            }
            if p.eat("(?") {
                if p.eat("t") {
                    let cmp = if p.eat("<=") {
                        Cmp::Le
                    } else if p.eat("<") {
                        Cmp::Lt
                    } else if p.eat(">=") {
                        Cmp::Ge
                    } else if p.eat(">") {
                        Cmp::Gt
                    } else if p.eat("==") {
                        Cmp::Eq
                    } else {
                        return Err(
                            p.error(p.pos, "expected a comparison <=, <, >=, > or == after (?t")
                        );
                    };
                    let seconds = p.number("expected a number of seconds")?;
                    if matches!(p.toks.last(), Some(Tok::Time(..))) {
                        return Err(p.error(
                            at,
                            "a time condition must follow a condition, . or .* (not another time condition)",
                        ));
                    }
                    p.close()?;
                    p.toks.push(Tok::Time(cmp, seconds));
                    has_time = true;
                } else {
                    let n_at = p.pos;
                    let n = p.number("expected a condition number or t after (?")?;
                    if n == 0 {
                        return Err(p.error(n_at, "condition numbers start at 1"));
                    }
                    if n > MAX_CONDITIONS as u64 {
                        return Err(p.error(n_at, "a pattern refers to at most 32 conditions"));
                    }
                    p.close()?;
                    let n = n as usize;
                    if highest.is_none_or(|(h, _)| n > h) {
                        highest = Some((n, at));
                    }
                    p.toks.push(Tok::Cond(1u32 << (n - 1)));
                }
            } else if p.eat(".*") {
                p.toks.push(Tok::Star);
            } else if p.eat(".") {
                p.toks.push(Tok::Any);
            } else {
                return Err(p.error(at, "expected (?N), (?t<=S) (or <, >=, >, ==), . or .*"));
            }
        }
        Ok(Pattern {
            text: text.to_owned(),
            program: Program::new(&p.toks),
            highest,
            has_time,
        })
    }

    /// The pattern as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The highest condition number the pattern refers to (0 for none): the
    /// least number of conditions it needs.
    #[must_use]
    pub fn conditions(&self) -> usize {
        self.highest.map_or(0, |(n, _)| n)
    }

    /// Where the highest condition number is first written (byte offset).
    pub(crate) fn highest_at(&self) -> usize {
        self.highest.map_or(0, |(_, at)| at)
    }

    /// Whether the pattern has time conditions.
    #[must_use]
    pub fn has_time(&self) -> bool {
        self.has_time
    }

    pub(crate) fn program(&self) -> &Program {
        &self.program
    }

    /// ClickHouse's `sequenceMatch` on one sequence of events:
    /// `(seconds, conditions met)` pairs, bit `k - 1` of the mask standing
    /// for condition `k`. Events that meet no condition are left out; the
    /// others are taken in time order (stable: events of the same second
    /// keep the order given, where ClickHouse leaves it undefined).
    ///
    /// Linear in the number of events (times the pattern's length), with no
    /// cap: see the [module docs](crate::pattern).
    #[must_use]
    pub fn sequence_match(&self, events: &[(i64, u32)]) -> bool {
        let mut scratch = crate::pattern::kernel::Scratch::default();
        scratch.load(events);
        self.program.sequence_match(&mut scratch)
    }

    /// ClickHouse's `sequenceCount` on one sequence of events (as
    /// [`Pattern::sequence_match`] takes them): the number of
    /// non-overlapping matches, each the first match found from the end of
    /// the one before.
    #[must_use]
    pub fn sequence_count(&self, events: &[(i64, u32)]) -> u64 {
        let mut scratch = crate::pattern::kernel::Scratch::default();
        scratch.load(events);
        self.program.sequence_count(&mut scratch)
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    toks: Vec<Tok>,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn number(&mut self, missing: &'static str) -> Result<u64> {
        let start = self.pos;
        let digits = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(self.error(start, missing));
        }
        self.pos += digits;
        self.text
            .get(start..self.pos)
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| self.error(start, "the number is too large"))
    }

    fn close(&mut self) -> Result<()> {
        if self.eat(")") {
            Ok(())
        } else {
            Err(self.error(self.pos, "expected )"))
        }
    }

    fn error(&self, at: usize, reason: &'static str) -> Error {
        pattern_error(self.text, at, reason)
    }
}

/// An error about `text` at byte `at`.
pub(crate) fn pattern_error(text: &str, at: usize, reason: &'static str) -> Error {
    let rest = text.get(at..).unwrap_or("");
    Error::InvalidConfig {
        field: "pattern",
        value: if rest.is_empty() {
            format!("{text:?} at position {at} (the end)")
        } else {
            format!("{text:?} at position {at} ({rest:?})")
        },
        reason,
    }
}

impl FromStr for Pattern {
    type Err = Error;

    fn from_str(s: &str) -> Result<Pattern> {
        Pattern::new(s)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Pattern::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(p: &str) -> String {
        Pattern::new(p).unwrap_err().to_string()
    }

    #[test]
    fn parses_the_reference_patterns() {
        for (p, n, t) in [
            ("(?1).*(?2).*(?3)", 3, false),
            ("(?1)(?t<=3600)(?2)", 2, true),
            ("(?1).*(?2)", 2, false),
            ("..*(?t>=0)(?32)", 32, true),
            (".*", 0, false),
        ] {
            let pat = Pattern::new(p).unwrap();
            assert_eq!(pat.conditions(), n, "{p}");
            assert_eq!(pat.has_time(), t, "{p}");
            assert_eq!(pat.to_string(), p);
        }
    }

    #[test]
    fn errors_point_at_the_position() {
        for (p, needle) in [
            ("(?1)(?x)", "position 6"),
            ("(?1) .*", "position 4"),
            ("(?0)", "start at 1"),
            ("(?33)", "at most 32"),
            ("(?1", "position 3 (the end)"),
            ("(?1)(?t<=5)(?t>1)(?2)", "position 11"),
            ("(?t~5)", "position 3"),
            ("(?t<=)", "seconds"),
            ("(?t<=99999999999999999999)", "too large"),
            ("", "at least one element"),
            ("x", "position 0"),
        ] {
            let e = err(p);
            assert!(e.contains(needle), "{p}: {e}");
            assert!(e.contains("pattern"), "{p}: {e}");
        }
        let long = ".".repeat(MAX_ELEMENTS + 1);
        assert!(err(&long).contains("position 64"));
        assert!(Pattern::new(&".".repeat(MAX_ELEMENTS)).is_ok());
        // A time condition may follow `.*` or `.` (ClickHouse allows it).
        assert!(Pattern::new(".*(?t>5)(?1)").is_ok());
        assert!(Pattern::new("(?t>5)(?1)").is_ok());
    }

    #[test]
    fn serde_as_the_text() {
        let p = Pattern::new("(?1).*(?2)").unwrap();
        let j = serde_json::to_string(&p).unwrap();
        assert_eq!(j, "\"(?1).*(?2)\"");
        assert_eq!(serde_json::from_str::<Pattern>(&j).unwrap(), p);
        assert!(serde_json::from_str::<Pattern>("\"(?1\"").is_err());
    }
}
