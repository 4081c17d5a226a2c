//! Survey instruments, items, answer scales and responses.
//!
//! An [`Instrument`] is a list of [`Item`]s, each mapped to a pyramid
//! [`Dimension`], answered on one [`Scale`]. [`Instrument::orbe`] is the
//! built-in online brand equity scale with 12 items in English and
//! Indonesian. A [`Response`] holds one respondent's answers, aligned with the
//! instrument's items, and [`Responses`] a set of them with unique respondents.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::hash::SeededSet;
use crate::model::Dimension;
use crate::model::names::named_enum;

/// The largest number of answer points a scale may have (so that answers fit
/// the scoring kernels' small integer codes).
pub const MAX_SCALE_POINTS: i32 = 15;

/// The largest number of items an instrument may have.
pub const MAX_ITEMS: usize = 64;

/// An answer scale: the integers `min..=max` (Likert 1-5, 1-7, 0-10, ...).
///
/// ```
/// use cxjourney::Scale;
/// let s = Scale::new(1, 7)?;
/// assert_eq!(s.rescale(4.0), 50.0);
/// assert!(Scale::new(3, 3).is_err());
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "ScaleRepr", into = "ScaleRepr")]
pub struct Scale {
    min: i32,
    max: i32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScaleRepr {
    min: i32,
    max: i32,
}

impl TryFrom<ScaleRepr> for Scale {
    type Error = Error;
    fn try_from(r: ScaleRepr) -> Result<Scale> {
        Scale::new(r.min, r.max)
    }
}

impl From<Scale> for ScaleRepr {
    fn from(s: Scale) -> ScaleRepr {
        ScaleRepr {
            min: s.min,
            max: s.max,
        }
    }
}

impl Scale {
    /// A scale from `min` to `max`, both included.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `min < max` and the scale has at most
    /// [`MAX_SCALE_POINTS`] points.
    pub fn new(min: i32, max: i32) -> Result<Scale> {
        let points = i64::from(max) - i64::from(min) + 1;
        if points < 2 || points > i64::from(MAX_SCALE_POINTS) {
            return Err(Error::InvalidConfig {
                field: "scale",
                value: format!("{min}..={max}"),
                reason: "needs min < max and at most 15 answer points",
            });
        }
        Ok(Scale { min, max })
    }

    /// The 7-point Likert scale 1..=7 (ORBE's scale).
    #[must_use]
    pub const fn likert7() -> Scale {
        Scale { min: 1, max: 7 }
    }

    /// The 5-point Likert scale 1..=5.
    #[must_use]
    pub const fn likert5() -> Scale {
        Scale { min: 1, max: 5 }
    }

    /// The 0..=10 scale of NPS questions.
    #[must_use]
    pub const fn zero_to_ten() -> Scale {
        Scale { min: 0, max: 10 }
    }

    /// The lowest answer.
    #[must_use]
    pub const fn min(self) -> i32 {
        self.min
    }

    /// The highest answer.
    #[must_use]
    pub const fn max(self) -> i32 {
        self.max
    }

    /// The number of answer points.
    #[must_use]
    pub const fn points(self) -> i32 {
        self.max - self.min + 1
    }

    /// Whether `value` is an answer on this scale.
    #[must_use]
    pub fn contains(self, value: i64) -> bool {
        value >= i64::from(self.min) && value <= i64::from(self.max)
    }

    /// Rescales a mean answer to 0-100: `100 * (m - min) / (max - min)`.
    /// Monotone; a mean inside the scale lands in 0..=100.
    #[must_use]
    pub fn rescale(self, mean: f64) -> f64 {
        100.0 * (mean - f64::from(self.min)) / f64::from(self.max - self.min)
    }
}

named_enum! {
    /// The language of an item text.
    pub enum Language: "language" {
        /// English.
        English = "english",
        /// Bahasa Indonesia.
        Indonesian = "indonesian",
    }
}

/// One survey item (question).
///
/// Texts contain the placeholder `[X]` for the brand; [`Item::text`]
/// substitutes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// The stable item id, e.g. `ful_1`.
    pub id: String,
    /// The dimension it measures.
    pub dimension: Dimension,
    /// The English text, with `[X]` for the brand.
    pub text_en: String,
    /// The Indonesian text, with `[X]` for the brand.
    pub text_id: String,
    /// Whether a high answer means a *worse* experience; reverse-coded items
    /// are flipped (`min + max - answer`) before scoring.
    #[serde(default)]
    pub reverse: bool,
}

impl Item {
    /// An item with the same text in both languages and no reverse coding.
    #[must_use]
    pub fn new(id: &str, dimension: Dimension, text: &str) -> Item {
        Item {
            id: id.to_owned(),
            dimension,
            text_en: text.to_owned(),
            text_id: text.to_owned(),
            reverse: false,
        }
    }

    /// The same item, reverse-coded.
    #[must_use]
    pub fn reversed(mut self) -> Item {
        self.reverse = true;
        self
    }

    /// The text in `language` with `brand` substituted for `[X]`.
    #[must_use]
    pub fn text(&self, language: Language, brand: &str) -> String {
        let t = match language {
            Language::English => &self.text_en,
            Language::Indonesian => &self.text_id,
        };
        t.replace("[X]", brand)
    }
}

/// A survey instrument: named items on one answer scale.
///
/// ```
/// use cxjourney::{Dimension, Instrument, Language};
/// let orbe = Instrument::orbe();
/// assert_eq!(orbe.items().len(), 12);
/// assert_eq!(orbe.items_of(Dimension::Fulfilment).count(), 2);
/// let q = orbe.item("tr_2").map(|i| i.text(Language::Indonesian, "TokoKu"));
/// assert_eq!(q.as_deref(), Some("Saya merasa aman dalam bertransaksi dengan perusahaan TokoKu."));
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "InstrumentRepr", into = "InstrumentRepr")]
pub struct Instrument {
    name: String,
    scale: Scale,
    items: Vec<Item>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InstrumentRepr {
    name: String,
    scale: Scale,
    items: Vec<Item>,
}

impl TryFrom<InstrumentRepr> for Instrument {
    type Error = Error;
    fn try_from(r: InstrumentRepr) -> Result<Instrument> {
        Instrument::new(&r.name, r.scale, r.items)
    }
}

impl From<Instrument> for InstrumentRepr {
    fn from(i: Instrument) -> InstrumentRepr {
        InstrumentRepr {
            name: i.name,
            scale: i.scale,
            items: i.items,
        }
    }
}

/// The ORBE items: id, dimension, English, Indonesian.
///
/// English: Christodoulides et al. (2006). Indonesian: the statements of the
/// Indonesian article on online customer experience that the crate cites
/// (see the crate's sources), except `ec_1`, which that article leaves out
/// and which is this crate's own translation.
const ORBE: [(&str, Dimension, &str, &str); 12] = [
    (
        "ec_1",
        Dimension::EmotionalConnection,
        "I feel related to the type of people who are [X]'s customers",
        "Saya merasa dekat dengan orang-orang yang menjadi pelanggan perusahaan [X].",
    ),
    (
        "ec_2",
        Dimension::EmotionalConnection,
        "I feel like [X] actually cares about me",
        "Saya merasa perusahaan [X] benar-benar peduli dengan saya.",
    ),
    (
        "ec_3",
        Dimension::EmotionalConnection,
        "I feel as though [X] really understands me",
        "Saya merasa perusahaan [X] benar-benar memahami apa yang saya inginkan.",
    ),
    (
        "oe_1",
        Dimension::OnlineExperience,
        "[X]'s website provides easy-to-follow search paths",
        "Situs web [X] menyediakan jalur pencarian yang mudah diikuti.",
    ),
    (
        "oe_2",
        Dimension::OnlineExperience,
        "I never feel lost when navigating through [X]'s website",
        "Saya tidak pernah merasa tersesat saat menavigasi situs web [X].",
    ),
    (
        "oe_3",
        Dimension::OnlineExperience,
        "I was able to obtain the information I wanted without any delay",
        "Saya dapat memperoleh informasi yang saya inginkan tanpa penundaan.",
    ),
    (
        "rsn_1",
        Dimension::ResponsiveService,
        "[X] is willing and ready to respond to customer needs",
        "Perusahaan [X] bersedia dan siap menanggapi kebutuhan pelanggan.",
    ),
    (
        "rsn_2",
        Dimension::ResponsiveService,
        "[X]'s website gives visitors the opportunity to 'talk back' to [X]",
        "Situs web [X] memberi pengunjung kesempatan untuk 'berbicara kembali' dengan perusahaan [X].",
    ),
    (
        "tr_1",
        Dimension::Trust,
        "I trust [X] to keep my personal information safe",
        "Saya percaya perusahaan [X] untuk menjaga keamanan informasi pribadi saya.",
    ),
    (
        "tr_2",
        Dimension::Trust,
        "I feel safe in my transactions with [X]",
        "Saya merasa aman dalam bertransaksi dengan perusahaan [X].",
    ),
    (
        "ful_1",
        Dimension::Fulfilment,
        "I got what I ordered from [X]'s website",
        "Saya mendapatkan apa yang saya pesan dari situs [X].",
    ),
    (
        "ful_2",
        Dimension::Fulfilment,
        "The product was delivered by the time promised by [X]",
        "Produk dikirim dalam waktu yang dijanjikan oleh [X].",
    ),
];

impl Instrument {
    /// A custom instrument.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without items, [`Error::DuplicateItem`] when two
    /// items share an id, [`Error::InvalidConfig`] for an empty name or id or
    /// more than [`MAX_ITEMS`] items.
    pub fn new(name: &str, scale: Scale, items: Vec<Item>) -> Result<Instrument> {
        if items.is_empty() {
            return Err(Error::EmptyInput {
                what: "instrument items",
            });
        }
        if items.len() > MAX_ITEMS {
            return Err(Error::InvalidConfig {
                field: "items",
                value: items.len().to_string(),
                reason: "an instrument has at most 64 items",
            });
        }
        if name.trim().is_empty() {
            return Err(Error::InvalidConfig {
                field: "name",
                value: format!("{name:?}"),
                reason: "an instrument needs a name",
            });
        }
        let mut seen = SeededSet::default();
        for item in &items {
            if item.id.trim().is_empty() {
                return Err(Error::InvalidConfig {
                    field: "item id",
                    value: format!("{:?}", item.id),
                    reason: "item ids must not be empty",
                });
            }
            if !seen.insert(item.id.as_str()) {
                return Err(Error::DuplicateItem {
                    item: item.id.clone(),
                });
            }
        }
        Ok(Instrument {
            name: name.to_owned(),
            scale,
            items,
        })
    }

    /// The built-in ORBE instrument (Christodoulides et al., 2006): 12 items
    /// in five dimensions on a 1-7 scale, with English and Indonesian texts.
    #[must_use]
    pub fn orbe() -> Instrument {
        let items = ORBE
            .iter()
            .map(|(id, d, en, idn)| Item {
                id: (*id).to_owned(),
                dimension: *d,
                text_en: (*en).to_owned(),
                text_id: (*idn).to_owned(),
                reverse: false,
            })
            .collect();
        Instrument {
            name: "orbe".to_owned(),
            scale: Scale::likert7(),
            items,
        }
    }

    /// The instrument's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The answer scale.
    #[must_use]
    pub fn scale(&self) -> Scale {
        self.scale
    }

    /// The items, in instrument order (the order of a response's answers).
    #[must_use]
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// The item with this id.
    #[must_use]
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    /// The position of the item with this id.
    #[must_use]
    pub fn position(&self, id: &str) -> Option<usize> {
        self.items.iter().position(|i| i.id == id)
    }

    /// The items of one dimension, in instrument order.
    pub fn items_of(&self, dimension: Dimension) -> impl Iterator<Item = &Item> + '_ {
        self.items.iter().filter(move |i| i.dimension == dimension)
    }

    /// Checks one answer to the item at `position`.
    ///
    /// # Errors
    /// [`Error::AnswerOutOfRange`] when it is off the scale.
    pub fn check_answer(&self, position: usize, value: i64) -> Result<()> {
        if self.scale.contains(value) {
            Ok(())
        } else {
            Err(Error::AnswerOutOfRange {
                item: self
                    .items
                    .get(position)
                    .map_or_else(|| format!("#{position}"), |i| i.id.clone()),
                value,
                min: self.scale.min,
                max: self.scale.max,
            })
        }
    }
}

/// An opaque respondent id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RespondentId(pub u64);

impl fmt::Display for RespondentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One respondent's answers, aligned with an instrument's items (`None` =
/// not answered). Built through [`Response::new`] or
/// [`Response::from_pairs`], which check every answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Response {
    respondent: RespondentId,
    answers: Vec<Option<i32>>,
}

impl Response {
    /// A response from answers in instrument order.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the number of answers is not the number of
    /// items; [`Error::AnswerOutOfRange`] for an answer off the scale.
    pub fn new(
        instrument: &Instrument,
        respondent: RespondentId,
        answers: &[Option<i32>],
    ) -> Result<Response> {
        if answers.len() != instrument.items.len() {
            return Err(Error::Mismatch {
                expected: format!("{} answers ({})", instrument.items.len(), instrument.name),
                found: format!("{} answers from respondent {respondent}", answers.len()),
            });
        }
        for (i, a) in answers.iter().enumerate() {
            if let Some(v) = a {
                instrument.check_answer(i, i64::from(*v))?;
            }
        }
        Ok(Response {
            respondent,
            answers: answers.to_vec(),
        })
    }

    /// A response from `(item id, answer)` pairs; items not named are missing.
    ///
    /// ```
    /// use cxjourney::{Instrument, RespondentId, Response};
    /// let orbe = Instrument::orbe();
    /// let r = Response::from_pairs(&orbe, RespondentId(7), [("ful_1", 6), ("tr_2", 5)])?;
    /// assert_eq!(r.answer(&orbe, "ful_1"), Some(6));
    /// assert_eq!(r.answer(&orbe, "ec_1"), None);
    /// assert!(Response::from_pairs(&orbe, RespondentId(8), [("ful_9", 6)]).is_err());
    /// assert!(Response::from_pairs(&orbe, RespondentId(8), [("ful_1", 8)]).is_err());
    /// # Ok::<(), cxjourney::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownItem`], [`Error::DuplicateItem`] (an item answered
    /// twice) or [`Error::AnswerOutOfRange`].
    pub fn from_pairs<'a>(
        instrument: &Instrument,
        respondent: RespondentId,
        pairs: impl IntoIterator<Item = (&'a str, i32)>,
    ) -> Result<Response> {
        let mut answers = vec![None; instrument.items.len()];
        for (id, v) in pairs {
            let pos = instrument.position(id).ok_or_else(|| Error::UnknownItem {
                item: id.to_owned(),
                instrument: instrument.name.clone(),
            })?;
            instrument.check_answer(pos, i64::from(v))?;
            match answers.get_mut(pos) {
                Some(slot @ None) => *slot = Some(v),
                _ => {
                    return Err(Error::DuplicateItem {
                        item: id.to_owned(),
                    });
                }
            }
        }
        Ok(Response {
            respondent,
            answers,
        })
    }

    /// The respondent.
    #[must_use]
    pub fn respondent(&self) -> RespondentId {
        self.respondent
    }

    /// The answers in instrument order.
    #[must_use]
    pub fn answers(&self) -> &[Option<i32>] {
        &self.answers
    }

    /// The answer to one item, by id.
    #[must_use]
    pub fn answer(&self, instrument: &Instrument, id: &str) -> Option<i32> {
        instrument
            .position(id)
            .and_then(|p| self.answers.get(p).copied().flatten())
    }
}

/// A set of responses to one instrument, one per respondent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Responses {
    instrument: Instrument,
    responses: Vec<Response>,
    #[serde(skip)]
    seen: SeededSet<RespondentId>,
}

impl Responses {
    /// An empty set for `instrument`.
    #[must_use]
    pub fn new(instrument: Instrument) -> Responses {
        Responses {
            instrument,
            responses: Vec::new(),
            seen: SeededSet::default(),
        }
    }

    /// Adds a response.
    ///
    /// # Errors
    /// [`Error::DuplicateRespondent`] when the respondent already answered;
    /// [`Error::Mismatch`] when the response has the wrong number of answers.
    pub fn push(&mut self, response: Response) -> Result<()> {
        if response.answers.len() != self.instrument.items.len() {
            return Err(Error::Mismatch {
                expected: format!("{} answers", self.instrument.items.len()),
                found: format!("{} answers", response.answers.len()),
            });
        }
        if !self.seen.insert(response.respondent) {
            return Err(Error::DuplicateRespondent {
                respondent: response.respondent.to_string(),
            });
        }
        self.responses.push(response);
        Ok(())
    }

    /// The instrument.
    #[must_use]
    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    /// The responses, in the order they were added.
    #[must_use]
    pub fn responses(&self) -> &[Response] {
        &self.responses
    }

    /// The number of responses.
    #[must_use]
    pub fn len(&self) -> usize {
        self.responses.len()
    }

    /// Whether there are no responses.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.responses.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orbe_has_twelve_items_in_five_dimensions() {
        let o = Instrument::orbe();
        let counts: Vec<usize> = Dimension::ALL
            .iter()
            .map(|&d| o.items_of(d).count())
            .collect();
        assert_eq!(counts, vec![2, 2, 3, 2, 3]);
        for item in o.items() {
            assert!(item.id.starts_with(item.dimension.short()));
            assert!(!item.text(Language::Indonesian, "B").contains("[X]"));
        }
    }

    #[test]
    fn duplicates_and_ranges_are_errors_naming_the_value() {
        let o = Instrument::orbe();
        let e = Response::from_pairs(&o, RespondentId(1), [("ec_1", 1), ("ec_1", 2)]);
        assert!(matches!(e, Err(Error::DuplicateItem { ref item }) if item == "ec_1"));
        let e = Response::new(&o, RespondentId(1), &[Some(0); 12]);
        assert!(e.err().is_some_and(|e| e.to_string().contains("answer 0")));
        let mut rs = Responses::new(o.clone());
        let r = Response::new(&o, RespondentId(5), &[None; 12]).ok();
        for _ in 0..2 {
            if let Some(r) = r.clone() {
                let _ = rs.push(r);
            }
        }
        assert_eq!(rs.len(), 1);
        if let Some(r) = r {
            assert!(matches!(rs.push(r), Err(Error::DuplicateRespondent { .. })));
        }
        assert!(Instrument::new("x", Scale::likert5(), vec![]).is_err());
        let dup = vec![
            Item::new("a", Dimension::Trust, "A"),
            Item::new("a", Dimension::Trust, "A"),
        ];
        assert!(matches!(
            Instrument::new("x", Scale::likert5(), dup),
            Err(Error::DuplicateItem { .. })
        ));
    }

    #[test]
    fn instrument_round_trips_through_json() {
        let o = Instrument::orbe();
        let s = serde_json::to_string(&o).unwrap_or_default();
        let back: Option<Instrument> = serde_json::from_str(&s).ok();
        assert_eq!(back, Some(o));
        assert!(serde_json::from_str::<Scale>(r#"{"min":5,"max":1}"#).is_err());
    }
}
