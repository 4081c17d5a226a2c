//! The crate's one error type.

use std::fmt;

/// A `Result` whose error defaults to the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `cxjourney`.
///
/// Every variant names what was wrong and carries the offending value, so a
/// caller can log it or show it to the person who supplied the input. The enum
/// is `#[non_exhaustive]`: later versions add variants as analyses arrive.
/// It serializes (as a `type`-tagged object) for JSON error responses.
/// It is `Send + Sync + 'static` and so fits into `Box<dyn std::error::Error>`
/// and `anyhow`-style wrappers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Error {
    /// An event name is not in the event-name table that was asked to convert it.
    ///
    /// Add it with [`EventMap::insert`](crate::EventMap::insert), or give the
    /// table a fallback with [`EventMap::fallback_to_custom`](crate::EventMap::fallback_to_custom).
    #[error("unknown event name {name:?} (not in the {table} event table)")]
    UnknownEventName {
        /// The name as it was given.
        name: String,
        /// Which table was asked (`"ga4"`, `"segment"`, ...).
        table: String,
    },

    /// A string is not a valid spelling of a typed value such as a stage,
    /// channel, device or payment method.
    #[error("invalid {what}: {value:?} (expected one of: {expected})")]
    InvalidName {
        /// What was being parsed (`"stage"`, `"channel"`, ...).
        what: &'static str,
        /// The offending string.
        value: String,
        /// The accepted spellings, comma separated.
        expected: String,
    },

    /// A user-defined name (custom channel, custom touchpoint kind, event name)
    /// is empty, too long, or clashes with a built-in name.
    #[error("invalid custom {what} name {value:?}: {reason}")]
    InvalidCustomName {
        /// What kind of name (`"channel"`, `"touchpoint kind"`).
        what: &'static str,
        /// The offending name.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },

    /// Touchpoints of more than one customer were passed where one journey
    /// (one customer) was expected. Group them first with
    /// [`Journey::group`](crate::Journey::group).
    #[error(
        "touchpoints of different customers in one journey: expected customer {expected}, found {found}"
    )]
    MixedCustomers {
        /// The first customer seen.
        expected: String,
        /// The other customer.
        found: String,
    },

    /// An input that must not be empty was empty.
    #[error("empty input: {what}")]
    EmptyInput {
        /// What was empty.
        what: &'static str,
    },

    /// A monetary amount is negative where only non-negative amounts make sense.
    /// Record refunds as a `refund` touchpoint with a positive amount.
    #[error("negative amount {minor} (minor units) in {currency}")]
    NegativeAmount {
        /// The amount in minor units.
        minor: i64,
        /// Its currency code.
        currency: String,
    },

    /// A sum or conversion of amounts overflowed 64-bit minor units.
    #[error("amount overflow: {context}")]
    AmountOverflow {
        /// What overflowed, with the values involved.
        context: String,
    },

    /// Amounts in different currencies were added together. Convert them to one
    /// currency first.
    #[error("mixed currencies in one sum: {first} and {second}")]
    MixedCurrencies {
        /// The currency of the running sum.
        first: String,
        /// The different currency that was met.
        second: String,
    },

    /// A currency code is not three ASCII letters.
    #[error("invalid currency code {value:?}: expected three ASCII letters such as \"IDR\"")]
    InvalidCurrency {
        /// The offending code.
        value: String,
    },

    /// A decimal amount string could not be read.
    #[error("invalid amount {value:?}: {reason}")]
    InvalidAmount {
        /// The offending text.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },

    /// A configuration value is out of its allowed range.
    #[error("invalid configuration: {field} = {value} ({reason})")]
    InvalidConfig {
        /// The field's name.
        field: &'static str,
        /// The offending value, as text.
        value: String,
        /// The allowed range or rule.
        reason: &'static str,
    },

    /// A rule of a rule set does not validate: an unknown name (persona,
    /// stage, dimension, action, channel), an impossible threshold, a
    /// condition that can never hold, or an id used twice.
    ///
    /// Fix the rule named by `rule` (its id).
    #[error("invalid rule {rule:?}: {reason}")]
    InvalidRule {
        /// The rule's id.
        rule: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A timestamp or duration computation fell outside the representable range.
    #[error("time out of range: {context}")]
    TimeOutOfRange {
        /// What was being computed, with the values involved.
        context: String,
    },

    /// A survey answer names an item that the instrument does not have.
    ///
    /// Check the item id against the instrument's items (`Instrument::items`),
    /// or build a custom instrument that includes it.
    #[error("unknown survey item {item:?} (not in instrument {instrument:?})")]
    UnknownItem {
        /// The offending item id.
        item: String,
        /// The instrument's name.
        instrument: String,
    },

    /// An item id appears twice: in an instrument's items or in one
    /// respondent's answers. Give every item one id and one answer.
    #[error("duplicate survey item {item:?}")]
    DuplicateItem {
        /// The repeated item id.
        item: String,
    },

    /// A survey answer lies outside the instrument's answer scale.
    ///
    /// Fix the data, or declare the right scale (`Scale::new`).
    #[error("answer {value} to item {item:?} is outside the scale {min}..={max}")]
    AnswerOutOfRange {
        /// The item answered.
        item: String,
        /// The offending answer.
        value: i64,
        /// The scale's lowest answer.
        min: i32,
        /// The scale's highest answer.
        max: i32,
    },

    /// The same respondent answered twice in one set of responses.
    ///
    /// Keep one answer per respondent (for example the latest) before scoring.
    #[error("duplicate respondent {respondent}")]
    DuplicateRespondent {
        /// The repeated respondent id.
        respondent: String,
    },

    /// Two parts that must belong together do not: a response built for
    /// another instrument, or accumulators with different instruments or
    /// configurations being merged. Score each instrument separately.
    #[error("mismatch: expected {expected}, found {found}")]
    Mismatch {
        /// What was expected.
        expected: String,
        /// What was found.
        found: String,
    },

    /// A numerical routine (a quantile, an incomplete beta function) could not
    /// produce a value for its arguments. The message names them; this points
    /// to degenerate input such as zero degrees of freedom.
    #[error("numerical failure: {what}")]
    NumericFailure {
        /// The routine and its arguments.
        what: String,
    },

    /// A computation would exceed a work or size cap that protects against
    /// unbounded (quadratic or exponential) work. Split the input (for example
    /// by customer or by time) or choose a cheaper option.
    #[error("too much work: {what} (limit {limit})")]
    TooMuchWork {
        /// What grew too large.
        what: &'static str,
        /// The cap that was hit.
        limit: u64,
    },

    /// A record of a file could not be read: a cell that does not parse, a
    /// missing column, a row of another width than the header.
    ///
    /// Fix the input at `line` (1-based, as an editor counts them) and
    /// `column` (the header name), or change the reader's options.
    #[error("line {line}: {column} {value:?}: {reason}")]
    InvalidRecord {
        /// The 1-based line where the record starts (0 when unknown).
        line: u64,
        /// The column's header name, or a description such as `"header"`.
        column: String,
        /// The offending cell (or header) as read.
        value: String,
        /// What was wrong with it.
        reason: String,
    },

    /// Reading input failed below the record level (an I/O error, text that
    /// is not UTF-8, a quote left open).
    #[error("cannot read {what}: {message}")]
    Read {
        /// What was being read (a file name or `"CSV input"`).
        what: String,
        /// The underlying error, as text.
        message: String,
    },
}

impl Error {
    /// Builds an [`Error::InvalidName`] from the accepted spellings.
    pub(crate) fn invalid_name<T: fmt::Display>(
        what: &'static str,
        value: &str,
        expected: impl IntoIterator<Item = T>,
    ) -> Self {
        let expected = expected
            .into_iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        Error::InvalidName {
            what,
            value: value.to_owned(),
            expected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_static() {
        fn check<T: Send + Sync + 'static + std::error::Error>() {}
        check::<Error>();
    }

    #[test]
    fn messages_name_the_value() {
        let e = Error::UnknownEventName {
            name: "view_itme".into(),
            table: "ga4".into(),
        };
        assert!(e.to_string().contains("view_itme"));
        let e = Error::invalid_name("stage", "buying", ["awareness", "decision"]);
        assert_eq!(
            e.to_string(),
            "invalid stage: \"buying\" (expected one of: awareness, decision)"
        );
    }
}
