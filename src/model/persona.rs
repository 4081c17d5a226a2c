//! The six shopper personas (the enum and its descriptions). Classifying a
//! customer into them from behaviour is an analysis built on top.

use crate::model::names::named_enum;

named_enum! {
    /// The six kinds of online shopper.
    ///
    /// The order is the canonical report order, from the least to the most
    /// committed shopper.
    pub enum Persona: "persona" {
        /// Spends time browsing, compares prices, reads and writes comments, rarely buys.
        Surfer = "surfer",
        /// Means to buy, compares options and reads reviews, takes several sessions or days.
        Researcher = "researcher",
        /// Knows what to buy, arrives and buys in one short session.
        FocusedBuyer = "focused_buyer",
        /// Buys mostly discounted or strike-through-price items, shows up on campaign days.
        DealDriven = "deal_driven",
        /// Came for little, was swayed by bundles or discounts into buying more, may not come back.
        ImpulsiveOneTime = "impulsive_one_time",
        /// Buys again and again, recently, and often tells others.
        Loyal = "loyal",
    }
}

impl Persona {
    /// A short plain-language description in English.
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            Persona::Surfer => {
                "Spends time browsing, looks for price comparisons and references, reads and writes comments; rarely buys."
            }
            Persona::Researcher => {
                "Really wants to buy, compares options and reads reviews, and is in no hurry to buy."
            }
            Persona::FocusedBuyer => {
                "Already knows what to buy: enters the site and shops straight away."
            }
            Persona::DealDriven => {
                "Swayed by discount information and strike-through prices; buys what is discounted."
            }
            Persona::ImpulsiveOneTime => {
                "Meant to buy a little, was won over by bundles and discounts and bought more; may not come back without a similar offer."
            }
            Persona::Loyal => {
                "Used to buying at this shop, often tells others about the shopping experience."
            }
        }
    }

    /// The description in Indonesian, in the wording of the source training
    /// material ("Ecommerce Customer Acquisition").
    #[must_use]
    pub const fn description_id(self) -> &'static str {
        match self {
            Persona::Surfer => {
                "Surfer: membuang waktu, mencari pembanding harga/referensi, komentar."
            }
            Persona::Researcher => {
                "Researcher: memang ingin beli barang, mencari pembanding, tidak terburu-buru beli."
            }
            Persona::FocusedBuyer => {
                "Focused Customer: sudah tahu apa yang mau dibeli, masuk website langsung belanja."
            }
            Persona::DealDriven => {
                "Sale/Discount Driven: terpengaruh informasi diskon dan harga coret, beli yang ada diskon."
            }
            Persona::ImpulsiveOneTime => {
                "Impulsive/One Time Customer: niatnya beli sedikit, termakan promosi paket dan diskon, beli lebih, belum tentu balik lagi jika tidak ada penawaran serupa."
            }
            Persona::Loyal => {
                "Loyal Customer: sudah biasa beli di ecommerce tersebut, sering menceritakan pengalaman belanja di ecommerce tersebut."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personas_round_trip() {
        for &p in Persona::ALL {
            assert_eq!(p.as_str().parse::<Persona>(), Ok(p));
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Persona>(&json).unwrap(), p);
            assert!(!p.description().is_empty() && !p.description_id().is_empty());
        }
    }
}
