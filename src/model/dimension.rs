//! The five dimensions of online customer experience, in pyramid order.
//!
//! The dimensions are those of the online brand equity scale (ORBE) of
//! Christodoulides, de Chernatony, Furrer, Shiu and Abimbola (2006, *Journal
//! of Marketing Management* 22(7-8)): emotional connection, online experience,
//! responsive service nature, trust and fulfilment.
//!
//! ORBE itself is flat: it measures five correlated dimensions and ranks none
//! of them. The **pyramid order** used here is this crate's documented choice,
//! taken from Forrester's customer-experience pyramid (meets needs, then easy,
//! then enjoyable; Manning and Bodine, *Outside In*, 2012): an experience must
//! first deliver what was promised, then be easy, and only then can it be
//! enjoyable. Mapped to ORBE:
//!
//! | layer | Forrester | ORBE dimensions |
//! |---|---|---|
//! | [`Layer::Base`] | meets needs | fulfilment, trust |
//! | [`Layer::Middle`] | easy | online experience, responsive service |
//! | [`Layer::Top`] | enjoyable | emotional connection |
//!
//! [`Dimension::ALL`] lists the dimensions from the base upward, which is the
//! order in which the weakest foundation is looked for.

use crate::model::names::named_enum;

named_enum! {
    /// One dimension of the CX pyramid. [`Dimension::ALL`] is in pyramid
    /// order, from the base (fulfilment) to the top (emotional connection).
    ///
    /// ```
    /// use cxjourney::{Dimension, Layer};
    /// assert_eq!(Dimension::ALL[0], Dimension::Fulfilment);
    /// assert_eq!(Dimension::Trust.layer(), Layer::Base);
    /// assert_eq!(Dimension::EmotionalConnection.short(), "ec");
    /// assert_eq!("online_experience".parse::<Dimension>()?, Dimension::OnlineExperience);
    /// # Ok::<(), cxjourney::Error>(())
    /// ```
    pub enum Dimension: "dimension" {
        /// Fulfilment: the customer got what was ordered, when promised.
        Fulfilment = "fulfilment",
        /// Trust: personal data and transactions feel safe.
        Trust = "trust",
        /// Online experience: the website is easy to search and navigate.
        OnlineExperience = "online_experience",
        /// Responsive service nature: the shop responds and listens.
        ResponsiveService = "responsive_service",
        /// Emotional connection: the customer feels understood and cared for.
        EmotionalConnection = "emotional_connection",
    }
}

named_enum! {
    /// A layer of the CX pyramid (see the module docs for the source).
    pub enum Layer: "layer" {
        /// Meets needs: fulfilment and trust.
        Base = "base",
        /// Easy: online experience and responsive service.
        Middle = "middle",
        /// Enjoyable: emotional connection.
        Top = "top",
    }
}

impl Dimension {
    /// The layer this dimension belongs to.
    #[must_use]
    pub const fn layer(self) -> Layer {
        match self {
            Dimension::Fulfilment | Dimension::Trust => Layer::Base,
            Dimension::OnlineExperience | Dimension::ResponsiveService => Layer::Middle,
            Dimension::EmotionalConnection => Layer::Top,
        }
    }

    /// The short key used by ORBE item ids and by the command-line output:
    /// `ful`, `tr`, `oe`, `rsn`, `ec`.
    #[must_use]
    pub const fn short(self) -> &'static str {
        match self {
            Dimension::Fulfilment => "ful",
            Dimension::Trust => "tr",
            Dimension::OnlineExperience => "oe",
            Dimension::ResponsiveService => "rsn",
            Dimension::EmotionalConnection => "ec",
        }
    }

    /// The dimension with this short key, if any.
    #[must_use]
    pub fn from_short(short: &str) -> Option<Dimension> {
        Dimension::ALL.iter().copied().find(|d| d.short() == short)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyramid_order_runs_from_base_to_top() {
        let layers: Vec<Layer> = Dimension::ALL.iter().map(|d| d.layer()).collect();
        let mut sorted = layers.clone();
        sorted.sort();
        assert_eq!(layers, sorted);
        assert_eq!(Dimension::ALL.len(), 5);
    }

    #[test]
    fn short_keys_round_trip() {
        for &d in Dimension::ALL {
            assert_eq!(Dimension::from_short(d.short()), Some(d));
            assert_eq!(d.to_string().parse::<Dimension>().ok(), Some(d));
        }
        assert_eq!(Dimension::from_short("xx"), None);
    }
}
