//! Where a customer is: the five-stage journey, the six operational phases and
//! the three moments, with total mappings between them.
//!
//! | stage | moment | phases |
//! |---|---|---|
//! | awareness | pre-purchase | research and planning |
//! | consideration | pre-purchase | product discovery |
//! | decision | purchase | ordering |
//! | retention | post-purchase | shipping and delivery, returns, refunds |
//! | advocacy | post-purchase | (none: advocacy happens after the operational phases) |
//!
//! The five stages follow the customer-journey model (awareness, consideration,
//! decision, retention, advocacy); the six phases follow the "customer
//! adventure" instrument for online shops (research and planning, product
//! discovery, ordering, shipping and delivery, returns, refunds); the moments
//! are the pre-purchase / purchase / post-purchase split of the customer
//! experience literature.

use crate::model::names::named_enum;

named_enum! {
    /// The five stages of the customer journey, in order.
    ///
    /// `Ord` follows the journey: `Awareness < Consideration < ... < Advocacy`.
    ///
    /// ```
    /// use cxjourney::Stage;
    /// let s: Stage = "consideration".parse()?;
    /// assert!(s < Stage::Decision);
    /// assert_eq!(s.next(), Some(Stage::Decision));
    /// # Ok::<(), cxjourney::Error>(())
    /// ```
    pub enum Stage: "stage" {
        /// The customer learns that the shop or product exists (ads, search, social).
        Awareness = "awareness",
        /// The customer compares options, reads reviews and product details.
        Consideration = "consideration",
        /// The customer is ready to buy: cart, checkout, payment, order.
        Decision = "decision",
        /// After the purchase: delivery, service, repeat buying.
        Retention = "retention",
        /// A satisfied customer recommends the shop: reviews, referrals, shares.
        Advocacy = "advocacy",
    }
}

named_enum! {
    /// The six operational phases of an online purchase, in order.
    pub enum Phase: "phase" {
        /// Searching for a need and choosing shops that seem trustworthy.
        ResearchAndPlanning = "research_and_planning",
        /// Exploring the shop's site and finding the wanted product.
        ProductDiscovery = "product_discovery",
        /// Putting items in the cart and choosing payment and shipping.
        Ordering = "ordering",
        /// The order travels to the customer.
        ShippingAndDelivery = "shipping_and_delivery",
        /// The item does not fit and goes back: warranty, exchange or return.
        Returns = "returns",
        /// Money goes back to the customer.
        Refunds = "refunds",
    }
}

named_enum! {
    /// The three moments of a purchase, in order.
    pub enum Moment: "moment" {
        /// Everything before the order.
        PrePurchase = "pre_purchase",
        /// Placing and paying for the order.
        Purchase = "purchase",
        /// Everything after the order.
        PostPurchase = "post_purchase",
    }
}

impl Stage {
    /// The moment this stage belongs to.
    #[must_use]
    pub const fn moment(self) -> Moment {
        match self {
            Stage::Awareness | Stage::Consideration => Moment::PrePurchase,
            Stage::Decision => Moment::Purchase,
            Stage::Retention | Stage::Advocacy => Moment::PostPurchase,
        }
    }

    /// The operational phases that belong to this stage, in phase order.
    /// Advocacy has none.
    #[must_use]
    pub const fn phases(self) -> &'static [Phase] {
        match self {
            Stage::Awareness => &[Phase::ResearchAndPlanning],
            Stage::Consideration => &[Phase::ProductDiscovery],
            Stage::Decision => &[Phase::Ordering],
            Stage::Retention => &[Phase::ShippingAndDelivery, Phase::Returns, Phase::Refunds],
            Stage::Advocacy => &[],
        }
    }

    /// The next stage, or `None` after advocacy.
    #[must_use]
    pub fn next(self) -> Option<Stage> {
        Stage::ALL.get(self.index() + 1).copied()
    }

    /// A short plain-language description in English.
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            Stage::Awareness => {
                "The customer first notices the shop or product, often through digital ads, search engines or social media."
            }
            Stage::Consideration => {
                "The customer compares the available options, reads reviews and product descriptions, and looks for more information."
            }
            Stage::Decision => {
                "The customer is ready to buy; price, return policy, an easy checkout and trust in the brand decide."
            }
            Stage::Retention => {
                "After the purchase the shop keeps the customer and encourages repeat purchases."
            }
            Stage::Advocacy => {
                "A satisfied customer supports the brand and recommends it to others by word of mouth or reviews."
            }
        }
    }

    /// A short description in Indonesian, in the wording of the source article
    /// ("Mengenal Customer Journey di Bisnis eCommerce").
    #[must_use]
    pub const fn description_id(self) -> &'static str {
        match self {
            Stage::Awareness => {
                "Kesadaran: pelanggan mulai menyadari adanya produk atau layanan, sering kali dari iklan digital, pencarian di mesin pencari, atau rekomendasi dari media sosial."
            }
            Stage::Consideration => {
                "Pertimbangan: pelanggan membandingkan berbagai opsi yang tersedia, meninjau ulasan, membaca deskripsi produk, dan mencari informasi lebih lanjut."
            }
            Stage::Decision => {
                "Keputusan: pelanggan siap untuk melakukan pembelian; harga, kebijakan pengembalian, kemudahan proses checkout, dan keyakinan terhadap reputasi merek menentukan."
            }
            Stage::Retention => {
                "Retensi: upaya untuk mempertahankan pelanggan dan mendorong pembelian berulang."
            }
            Stage::Advocacy => {
                "Advokasi: pelanggan yang puas menjadi pendukung merek dan merekomendasikan produk atau layanan kepada orang lain."
            }
        }
    }
}

impl Phase {
    /// The journey stage this phase belongs to.
    #[must_use]
    pub const fn stage(self) -> Stage {
        match self {
            Phase::ResearchAndPlanning => Stage::Awareness,
            Phase::ProductDiscovery => Stage::Consideration,
            Phase::Ordering => Stage::Decision,
            Phase::ShippingAndDelivery | Phase::Returns | Phase::Refunds => Stage::Retention,
        }
    }

    /// The moment this phase belongs to (the moment of its stage).
    #[must_use]
    pub const fn moment(self) -> Moment {
        self.stage().moment()
    }

    /// A short plain-language description in English.
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            Phase::ResearchAndPlanning => {
                "The customer researches a need in a search engine and picks the shops that look trustworthy."
            }
            Phase::ProductDiscovery => {
                "The customer explores the shop and looks for what they need; price, easy transactions and guarantees move them on."
            }
            Phase::Ordering => {
                "The customer puts items in the cart and weighs payment and shipping methods."
            }
            Phase::ShippingAndDelivery => {
                "The order is shipped and delivered; a new shop without testimonials is not yet trusted."
            }
            Phase::Returns => {
                "The item does not match; the customer asks for a warranty claim, an exchange or a return."
            }
            Phase::Refunds => {
                "The money goes back; after-sales service weighs in the customer's judgement."
            }
        }
    }

    /// A short description in Indonesian, in the wording of the source training
    /// material ("Instrumen Petualangan Konsumen").
    #[must_use]
    pub const fn description_id(self) -> &'static str {
        match self {
            Phase::ResearchAndPlanning => {
                "Konsumen riset di search engine mengenai kebutuhan mereka lalu memilih website yang sekiranya valid menurut mereka."
            }
            Phase::ProductDiscovery => {
                "Konsumen menjelajahi isi website dan mencari yang mereka butuhkan; harga, kemudahan transaksi, dan jaminan menjadi faktor utama."
            }
            Phase::Ordering => {
                "Konsumen memasukkan barang ke cart dan mulai mempertimbangkan metode pembayaran serta pengiriman barang."
            }
            Phase::ShippingAndDelivery => {
                "Konsumen belum tentu percaya website ecommerce baru yang tidak ada testimoni atau transaksi terpajang."
            }
            Phase::Returns => {
                "Konsumen mengalami ketidakcocokan barang dan meminta garansi atau penukaran barang atau bahkan pengembalian barang."
            }
            Phase::Refunds => "After sales service dipertimbangkan oleh konsumen.",
        }
    }
}

impl Moment {
    /// The journey stages in this moment, in stage order.
    #[must_use]
    pub const fn stages(self) -> &'static [Stage] {
        match self {
            Moment::PrePurchase => &[Stage::Awareness, Stage::Consideration],
            Moment::Purchase => &[Stage::Decision],
            Moment::PostPurchase => &[Stage::Retention, Stage::Advocacy],
        }
    }

    /// The operational phases in this moment, in phase order.
    #[must_use]
    pub const fn phases(self) -> &'static [Phase] {
        match self {
            Moment::PrePurchase => &[Phase::ResearchAndPlanning, Phase::ProductDiscovery],
            Moment::Purchase => &[Phase::Ordering],
            Moment::PostPurchase => &[Phase::ShippingAndDelivery, Phase::Returns, Phase::Refunds],
        }
    }

    /// A short plain-language description in English.
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            Moment::PrePurchase => "Before the order: noticing, searching, comparing.",
            Moment::Purchase => "Placing and paying for the order.",
            Moment::PostPurchase => {
                "After the order: delivery, service, returns, loyalty and advocacy."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_are_total_and_consistent() {
        for &p in Phase::ALL {
            assert!(p.stage().phases().contains(&p), "{p}");
            assert!(p.moment().phases().contains(&p), "{p}");
            assert_eq!(p.moment(), p.stage().moment());
        }
        for &s in Stage::ALL {
            assert!(s.moment().stages().contains(&s));
            for p in s.phases() {
                assert_eq!(p.stage(), s);
            }
        }
        let covered: usize = Stage::ALL.iter().map(|s| s.phases().len()).sum();
        assert_eq!(covered, Phase::ALL.len());
        let covered: usize = Moment::ALL.iter().map(|m| m.stages().len()).sum();
        assert_eq!(covered, Stage::ALL.len());
    }

    #[test]
    fn strings_round_trip_and_order_holds() {
        for &s in Stage::ALL {
            assert_eq!(s.as_str().parse::<Stage>(), Ok(s));
            assert!(!s.description().is_empty() && !s.description_id().is_empty());
        }
        for &p in Phase::ALL {
            assert_eq!(p.as_str().parse::<Phase>(), Ok(p));
        }
        for &m in Moment::ALL {
            assert_eq!(m.as_str().parse::<Moment>(), Ok(m));
        }
        assert!(Stage::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(Stage::Advocacy.next(), None);
        let err = "buying".parse::<Stage>().unwrap_err();
        assert!(err.to_string().contains("\"buying\""));
    }
}
