//! A seeded population of shoppers, each built from one persona definition of
//! the source course ("Ecommerce Customer Acquisition"), written without
//! looking at the classifier's thresholds.
//!
//! The season runs from Monday 2 June to Tuesday 30 September 2025 (WIB);
//! [`Population::as_of`] is midnight at its end. The shop is not the crate's
//! sample shop: other categories and products (`"category/name"`), other
//! channels per persona, no campaign ids at all, deal-driven shoppers who buy
//! on ordinary days (never a double date such as 8.8, a payday sale on the
//! 25th or 17 August) after promotions and vouchers, loyal shoppers who come
//! back without offers, impulsive shoppers who arrive from a promotion or a
//! bundle, researchers who compare one need over several days, surfers who
//! wander over many categories and comment, focused buyers who buy in one
//! short session from a search or straight from the app.
//!
//! The generator's RNG is a self-written SplitMix64, so the population
//! depends on nothing but the seed.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use cxjourney::{
    BuiltinChannel as Ch, CheckoutType, CustomerId, Device, PaymentMethod, Persona, Touchpoint,
};

use super::script::{Script, wib, wib_date};

/// The variant label of impulsive shoppers who added unplanned discounted
/// items and dropped at checkout: planted as impulsive, but without the
/// order the definition speaks of ("beli lebih"), so reported apart.
pub const DROPPED_AT_CHECKOUT: &str = "dropped-at-checkout";

/// One planted shopper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planted {
    /// The customer.
    pub id: CustomerId,
    /// The persona whose definition the shopper was built from.
    pub persona: Persona,
    /// Which kind of shopper of that persona (for reporting).
    pub variant: &'static str,
}

/// The planted population.
#[derive(Debug, Clone)]
pub struct Population {
    /// Every shopper's touchpoints, customer after customer.
    pub touchpoints: Vec<Touchpoint>,
    /// Every shopper, in customer id order.
    pub customers: Vec<Planted>,
    /// The end of the season: classify as of this instant.
    pub as_of: DateTime<Utc>,
}

impl Population {
    /// The planted persona of every customer.
    #[must_use]
    pub fn personas(&self) -> Vec<(CustomerId, Persona)> {
        self.customers.iter().map(|c| (c.id, c.persona)).collect()
    }

    /// The planted shopper of a customer.
    #[must_use]
    pub fn planted(&self, id: CustomerId) -> Option<&Planted> {
        self.customers
            .binary_search_by_key(&id, |c| c.id)
            .ok()
            .and_then(|i| self.customers.get(i))
    }
}

/// The first day of the season (day 0), Monday 2 June 2025.
#[must_use]
pub fn season_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 2).expect("a date")
}

/// Days in the season: day 0 is 2 June, day 120 is 30 September.
pub const SEASON_DAYS: i64 = 121;

/// The end of the season: 1 October 2025, 00:00 WIB.
#[must_use]
pub fn season_end() -> DateTime<Utc> {
    wib(2025, 10, 1, 0, 0)
}

/// An instant on a day of the season at a WIB time.
#[must_use]
pub fn season_at(day: i64, h: u32, min: u32) -> DateTime<Utc> {
    let d = season_start() + TimeDelta::days(day);
    wib(d.year(), d.month(), d.day(), h, min)
}

/// Whether a date is a shopping-festival day in Indonesia: a double date
/// (6.6, 7.7, 8.8, 9.9, ...), the payday sale on the 25th, or Independence
/// Day (17 August).
#[must_use]
pub fn is_campaign_date(d: NaiveDate) -> bool {
    d.day() == d.month() || d.day() == 25 || (d.month() == 8 && d.day() == 17)
}

/// `shoppers_per_persona` shoppers of each of the six personas, with ids
/// interleaved (1 is a surfer, 2 a researcher, ..., 6 loyal, 7 a surfer...).
/// About one impulsive shopper in sixteen is of the [`DROPPED_AT_CHECKOUT`]
/// variant.
#[must_use]
pub fn planted_population(shoppers_per_persona: usize, seed: u64) -> Population {
    let mut rng = SplitMix::new(seed);
    let mut touchpoints = Vec::new();
    let mut customers = Vec::with_capacity(shoppers_per_persona * 6);
    for i in 0..shoppers_per_persona {
        for (k, &persona) in Persona::ALL.iter().enumerate() {
            let id = (i * 6 + k + 1) as u64;
            let (script, variant) = match persona {
                Persona::Surfer => surfer(&mut rng, id),
                Persona::Researcher => researcher(&mut rng, id),
                Persona::FocusedBuyer => focused(&mut rng, id),
                Persona::DealDriven => deal_driven(&mut rng, id),
                Persona::ImpulsiveOneTime => impulsive(&mut rng, id, i % 16 == 7),
                Persona::Loyal => loyal(&mut rng, id),
            };
            touchpoints.extend(script.build());
            customers.push(Planted {
                id: CustomerId(id),
                persona,
                variant,
            });
        }
    }
    Population {
        touchpoints,
        customers,
        as_of: season_end(),
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014), as in `java.util.SplittableRandom`.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    /// A generator from a seed.
    #[must_use]
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of the items.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// One of the items, by weight.
    pub fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut r = self.below(total as usize) as u32;
        for &(item, w) in items {
            if r < w {
                return item;
            }
            r -= w;
        }
        items[items.len() - 1].0
    }

    /// The items in a random order (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// The shop's catalogue: categories, six products each, and a price range in
/// rupiah.
const CATALOGUE: [(&str, [&str; 6], (i64, i64)); 10] = [
    (
        "fashion-muslim",
        [
            "gamis-katun",
            "hijab-voal",
            "koko-pria",
            "mukena-travel",
            "kaftan-batik",
            "pashmina-ceruty",
        ],
        (45_000, 350_000),
    ),
    (
        "skincare",
        [
            "serum-vitc",
            "sunscreen-spf50",
            "toner-centella",
            "moisturizer-gel",
            "facial-wash",
            "masker-clay",
        ],
        (25_000, 180_000),
    ),
    (
        "gadget",
        [
            "tws-earbuds",
            "powerbank-20k",
            "charger-65w",
            "smartwatch",
            "kabel-usb-c",
            "tripod-hp",
        ],
        (35_000, 900_000),
    ),
    (
        "dapur",
        [
            "rice-cooker",
            "air-fryer",
            "panci-set",
            "blender",
            "teflon-28",
            "dispenser",
        ],
        (80_000, 1_200_000),
    ),
    (
        "sembako",
        [
            "beras-5kg",
            "minyak-2l",
            "gula-1kg",
            "kopi-bubuk",
            "mie-instan-dus",
            "susu-uht-12",
        ],
        (15_000, 120_000),
    ),
    (
        "ibu-anak",
        [
            "popok-l",
            "susu-formula",
            "stroller",
            "botol-susu",
            "tisu-basah",
            "mainan-edukasi",
        ],
        (20_000, 1_500_000),
    ),
    (
        "olahraga",
        [
            "sepatu-lari",
            "matras-yoga",
            "jersey",
            "raket-badminton",
            "dumbell-5kg",
            "botol-minum",
        ],
        (30_000, 800_000),
    ),
    (
        "otomotif",
        [
            "helm-half-face",
            "oli-motor",
            "jas-hujan",
            "cover-motor",
            "lampu-led",
            "sarung-tangan",
        ],
        (25_000, 450_000),
    ),
    (
        "buku",
        [
            "novel-fiksi",
            "buku-resep",
            "komik",
            "kamus",
            "buku-anak",
            "self-help",
        ],
        (35_000, 150_000),
    ),
    (
        "rumah",
        [
            "sprei-queen",
            "rak-serbaguna",
            "lampu-meja",
            "karpet",
            "gorden",
            "jam-dinding",
        ],
        (40_000, 500_000),
    ),
];

/// A product: its `"category/name"` id and ordinary price in rupiah.
#[derive(Debug, Clone)]
struct Product {
    id: String,
    price: i64,
}

fn product(category: usize, index: usize) -> Product {
    let (cat, names, (lo, hi)) = CATALOGUE[category % CATALOGUE.len()];
    let index = index % names.len();
    // A fixed price per product, spread over the category's range, in
    // thousands of rupiah.
    let step = (hi - lo) / 5;
    let price = (lo + step * ((index * 7 + category) % 6) as i64) / 1000 * 1000 + 900;
    Product {
        id: format!("{cat}/{}", names[index]),
        price,
    }
}

fn any_product(rng: &mut SplitMix, category: usize) -> Product {
    product(category, rng.below(6))
}

/// A product of any category.
fn random_product(rng: &mut SplitMix) -> Product {
    let category = rng.below(CATALOGUE.len());
    any_product(rng, category)
}

/// The price after a discount of 10% to 50% (a struck-through price).
fn discounted(rng: &mut SplitMix, price: i64) -> i64 {
    price * rng.range(50, 90) / 100 / 100 * 100
}

/// A WIB time of day, weighted as a phone shop's traffic: commute, lunch,
/// the evening and a little past midnight.
fn time_of_day(rng: &mut SplitMix) -> (u32, u32) {
    let hour = rng.weighted(&[
        (6, 2),
        (7, 4),
        (8, 4),
        (9, 3),
        (10, 3),
        (11, 4),
        (12, 7),
        (13, 5),
        (14, 3),
        (15, 3),
        (16, 3),
        (17, 3),
        (18, 4),
        (19, 8),
        (20, 10),
        (21, 10),
        (22, 7),
        (23, 3),
    ]);
    (hour, rng.range(0, 59) as u32)
}

fn device(rng: &mut SplitMix) -> Device {
    rng.weighted(&[
        (Device::MobileApp, 45),
        (Device::MobileWeb, 35),
        (Device::Desktop, 15),
        (Device::Tablet, 5),
    ])
}

fn payment(rng: &mut SplitMix) -> PaymentMethod {
    rng.weighted(&[
        (PaymentMethod::CashOnDelivery, 30),
        (PaymentMethod::EWallet, 30),
        (PaymentMethod::VirtualAccount, 20),
        (PaymentMethod::BankTransfer, 10),
        (PaymentMethod::Card, 10),
    ])
}

fn checkout_type(rng: &mut SplitMix, guest: f64) -> CheckoutType {
    if rng.chance(guest) {
        CheckoutType::Guest
    } else {
        CheckoutType::Registered
    }
}

/// The next ordinary (non-campaign) day at or after `day`.
fn ordinary_day(mut day: i64) -> i64 {
    while is_campaign_date(season_start() + TimeDelta::days(day)) {
        day += 1;
    }
    day
}

/// Surfer: "membuang waktu, mencari pembanding harga/referensi, komentar" —
/// wastes time, looks for price comparisons and references, comments;
/// rarely buys. Four to nine sessions over weeks, each wandering over one to
/// three categories (many categories over the season), category pages,
/// filters, product views, reviews read, comparisons; about half write
/// comments on product pages; a few wishlist or cart adds left behind; one
/// shopper in twenty buys one cheap thing once.
fn surfer(rng: &mut SplitMix, id: u64) -> (Script, &'static str) {
    let sessions = rng.range(4, 9);
    let commenter = rng.chance(0.5);
    let buys_once = rng.chance(0.05);
    let buy_session = rng.range(2, sessions - 1);
    let mut bought = false;
    let mut categories: Vec<usize> = (0..CATALOGUE.len()).collect();
    rng.shuffle(&mut categories);
    let mut next_category = 0;
    let mut comments = 0;
    let mut day = rng.range(0, 45);
    let mut s = Script::new(id);
    for k in 0..sessions {
        if day > SEASON_DAYS - 2 {
            break;
        }
        let (h, m) = time_of_day(rng);
        let ch = rng.pick(&[
            Ch::Social,
            Ch::Social,
            Ch::OrganicSearch,
            Ch::Direct,
            Ch::DisplayAds,
            Ch::Referral,
            Ch::Affiliate,
            Ch::Marketplace,
        ]);
        s = s
            .resume(season_at(day, h, m))
            .via(ch)
            .on_device(device(rng));
        if ch == Ch::OrganicSearch {
            s = s.search_visit();
        } else if rng.chance(0.3) {
            s = s.site_search();
        }
        let last = k == sessions - 1;
        for _ in 0..rng.range(1, 3) {
            let cat = categories[next_category % categories.len()];
            next_category += 1;
            s = s.list(CATALOGUE[cat].0);
            if rng.chance(0.4) {
                s = s.filter(CATALOGUE[cat].0);
            }
            let mut seen = any_product(rng, cat);
            for _ in 0..rng.range(2, 5) {
                seen = any_product(rng, cat);
                s = s.view(&seen.id).wait_secs(rng.range(20, 240));
                if rng.chance(0.35) {
                    s = s.read_reviews(&seen.id).wait_secs(rng.range(30, 180));
                }
            }
            if rng.chance(0.5) {
                s = s.compare(&seen.id);
            }
            if commenter && (rng.chance(0.35) || (last && comments == 0)) {
                // "komentar": a question or an opinion under a product.
                s = s.wait(rng.range(1, 4)).review(&seen.id);
                comments += 1;
            }
            if rng.chance(0.12) {
                s = s.wishlist(&seen.id);
            }
        }
        if rng.chance(0.1) {
            // A cart add left behind.
            let p = any_product(rng, categories[next_category % categories.len()]);
            s = s.view(&p.id).cart(&p.id);
        }
        if buys_once && k == buy_session {
            let p = product(rng.pick(&[4, 8]), rng.below(6));
            s = s
                .paying(payment(rng))
                .checking_out_as(checkout_type(rng, 0.6))
                .view(&p.id)
                .cart(&p.id)
                .wait(rng.range(1, 3))
                .checkout()
                .buy(p.price)
                .delivered(rng.range(2, 5));
            bought = true;
        }
        day += rng.range(2, 12);
    }
    let variant = if bought {
        "rare-buyer"
    } else if commenter {
        "commenter"
    } else {
        "browser"
    };
    (s, variant)
}

/// Researcher: "memang ingin beli barang, mencari pembanding, tidak
/// terburu-buru beli" — really wants to buy, compares, in no hurry. One need
/// (one category, a shortlist of two to four products) over three to six
/// sessions spread over four to twenty-one days: searches, filters, the
/// shortlist viewed again and again, reviews read, comparisons, a wishlist;
/// a stray view of another category now and then. Most buy the chosen
/// product at the end (one in twelve happens to get it discounted, without a
/// promotion); about one in eight is still deciding at the end of the season
/// with the product in the cart.
fn researcher(rng: &mut SplitMix, id: u64) -> (Script, &'static str) {
    let cat = rng.below(CATALOGUE.len());
    let name = CATALOGUE[cat].0;
    let mut names: Vec<usize> = (0..6).collect();
    rng.shuffle(&mut names);
    let shortlist: Vec<Product> = names[..rng.range(2, 4) as usize]
        .iter()
        .map(|&i| product(cat, i))
        .collect();
    let chosen = rng.pick(&[0usize, 0, 1]).min(shortlist.len() - 1);
    let sessions = rng.range(3, 6);
    let span = rng.range(4, 21);
    let still_deciding = rng.chance(0.12);
    let start = if still_deciding {
        SEASON_DAYS - 1 - span - rng.range(0, 2)
    } else {
        rng.range(0, SEASON_DAYS - span - 8)
    };
    let mut offsets: Vec<i64> = (0..sessions - 2).map(|_| rng.range(1, span - 1)).collect();
    offsets.push(0);
    offsets.push(span);
    offsets.sort_unstable();
    let mut s = Script::new(id).on_device(device(rng));
    for (k, &offset) in offsets.iter().enumerate() {
        let (h, m) = time_of_day(rng);
        let ch = if k == 0 {
            rng.pick(&[
                Ch::OrganicSearch,
                Ch::PaidSearch,
                Ch::Social,
                Ch::Marketplace,
                Ch::Referral,
            ])
        } else {
            rng.pick(&[
                Ch::Direct,
                Ch::Direct,
                Ch::OrganicSearch,
                Ch::Email,
                Ch::WhatsappChat,
            ])
        };
        s = s.resume(season_at(start + offset, h, m)).via(ch);
        if rng.chance(0.25) {
            s = s.on_device(device(rng));
        }
        if matches!(ch, Ch::OrganicSearch | Ch::PaidSearch) {
            s = s.search_visit();
        } else {
            s = s.site_search();
        }
        s = s.list(name);
        if rng.chance(0.5) {
            s = s.filter(name);
        }
        let mut order: Vec<usize> = (0..shortlist.len()).collect();
        rng.shuffle(&mut order);
        for &i in order.iter().take(rng.range(2, 4) as usize) {
            let p = &shortlist[i];
            s = s.view(&p.id).wait(rng.range(1, 4));
            if rng.chance(0.7) {
                s = s.read_reviews(&p.id).wait(rng.range(1, 5));
            }
        }
        if rng.chance(0.6) {
            s = s.compare(&shortlist[chosen].id).wait(rng.range(1, 3));
        }
        if k == 0 && rng.chance(0.4) {
            s = s.wishlist(&shortlist[chosen].id);
        }
        if rng.chance(0.2) {
            // Noise: a stray look at something else.
            let elsewhere = (cat + 1 + rng.below(CATALOGUE.len() - 1)) % CATALOGUE.len();
            let other = any_product(rng, elsewhere);
            s = s.view(&other.id);
        }
    }
    let p = &shortlist[chosen];
    if still_deciding {
        return (s.view(&p.id).cart(&p.id), "still-deciding");
    }
    s = s
        .paying(payment(rng))
        .checking_out_as(checkout_type(rng, 0.3))
        .view(&p.id)
        .cart(&p.id)
        .wait(rng.range(1, 4))
        .checkout();
    let variant = if rng.chance(1.0 / 12.0) {
        s = s.buy_deal(discounted(rng, p.price));
        "bought-discounted"
    } else {
        s = s.buy(p.price);
        "bought"
    };
    s = s.delivered(rng.range(2, 5));
    if rng.chance(0.12) {
        s = s.after_delivery(rng.range(5, 40)).review(&p.id);
    }
    (s, variant)
}

/// Focused customer: "sudah tahu apa yang mau dibeli, masuk website
/// langsung belanja" — already knows what to buy, enters and shops straight
/// away. One short session: from a search engine (organic or paid) straight
/// to the product, or from the app or a typed address with a search inside
/// the shop; the product viewed, sometimes a stray look at a second variant
/// or a glance at the reviews, into the cart, checkout and the order at the
/// ordinary price, all within minutes. One in ten buys again the same way
/// weeks later.
fn focused(rng: &mut SplitMix, id: u64) -> (Script, &'static str) {
    let cat = rng.below(CATALOGUE.len());
    let target = any_product(rng, cat);
    let day = rng.range(0, SEASON_DAYS - 6);
    let (h, m) = time_of_day(rng);
    let from_search = rng.chance(0.6);
    let mut s = Script::new(id)
        .at(season_at(day, h, m))
        .on_device(device(rng))
        .paying(payment(rng))
        .checking_out_as(checkout_type(rng, 0.4));
    s = directed_purchase(rng, s, &target, from_search);
    let mut variant = if from_search { "search" } else { "direct" };
    let again = day + rng.range(21, 56);
    if rng.chance(0.1) && again < SEASON_DAYS - 3 {
        let (h, m) = time_of_day(rng);
        let next = random_product(rng);
        let search = rng.chance(0.5);
        s = s.resume(season_at(again, h, m));
        s = directed_purchase(rng, s, &next, search);
        variant = "two-directed-orders";
    }
    (s, variant)
}

fn directed_purchase(rng: &mut SplitMix, mut s: Script, target: &Product, search: bool) -> Script {
    if search {
        s = s
            .via(rng.pick(&[Ch::OrganicSearch, Ch::PaidSearch]))
            .search_visit();
    } else {
        s = s.via(Ch::Direct);
        if rng.chance(0.4) {
            s = s.login();
        }
        s = s.site_search().wait_secs(rng.range(10, 60));
    }
    s = s.view(&target.id).wait_secs(rng.range(15, 120));
    if rng.chance(0.2) {
        // A stray look at another size or colour.
        let cat = CATALOGUE
            .iter()
            .position(|c| target.id.starts_with(c.0))
            .unwrap_or(0);
        let other = any_product(rng, cat);
        s = s.view(&other.id).wait_secs(rng.range(10, 60));
    }
    if rng.chance(0.1) {
        s = s.read_reviews(&target.id);
    }
    s.cart(&target.id)
        .wait_secs(rng.range(10, 90))
        .checkout()
        .wait_secs(rng.range(20, 120))
        .buy(target.price)
        .delivered(rng.range(1, 4))
}

/// Sale/discount driven: "terpengaruh informasi diskon dan harga coret, beli
/// yang ada diskon" — influenced by discount information and struck-through
/// prices, buys what is discounted. Two to six orders over the season, each
/// on an ordinary day (no festival), each in a session that starts from a
/// promotion (a push, e-mail, SMS, WhatsApp broadcast, social or display
/// banner, seen and clicked) or a voucher code, with discounted product
/// views (struck-through prices) in any category, discounted cart adds, a
/// voucher half of the time and a discounted order. Between orders, zero to
/// three promotion clicks that end without buying. Of shoppers with four or
/// more orders, two in five bought one of them at the ordinary price
/// ("mostly-discounted"). One in ten shares a deal with friends.
fn deal_driven(rng: &mut SplitMix, id: u64) -> (Script, &'static str) {
    let orders = rng.weighted(&[(2, 25), (3, 30), (4, 25), (5, 12), (6, 8)]);
    let browse_only = rng.range(0, 3);
    let sessions = orders + browse_only;
    let mut kinds: Vec<u8> = (0..sessions)
        .map(|i| if i < orders { 1 } else { 0 })
        .collect();
    rng.shuffle(&mut kinds);
    // The first session is a promotion that ends in an order.
    if let Some(first_order) = kinds.iter().position(|&k| k == 1) {
        kinds.swap(0, first_order);
    }
    let mut full_price_order = None;
    if orders >= 4 && rng.chance(0.4) {
        full_price_order = Some(rng.range(1, orders - 1));
    }
    let shares = rng.chance(0.1);
    let gap_max = ((SEASON_DAYS - 16) / sessions).max(4);
    let mut day = rng.range(0, 12);
    let mut placed = 0;
    let mut s = Script::new(id).on_device(device(rng));
    for (k, &kind) in kinds.iter().enumerate() {
        day = ordinary_day(day);
        if day > SEASON_DAYS - 2 {
            break;
        }
        let (h, m) = time_of_day(rng);
        s = s.resume(season_at(day, h, m));
        if rng.chance(0.2) {
            s = s.on_device(device(rng));
        }
        let ordering = kind == 1;
        if ordering && full_price_order == Some(placed) {
            // The one order at the ordinary price: straight from the app.
            let p = random_product(rng);
            s = s
                .via(rng.pick(&[Ch::Direct, Ch::Marketplace]))
                .site_search()
                .view(&p.id)
                .cart(&p.id)
                .checkout()
                .paying(payment(rng))
                .buy(p.price)
                .delivered(rng.range(2, 4));
            placed += 1;
            day += rng.range(4, gap_max);
            continue;
        }
        let ch = rng.pick(&[
            Ch::Push,
            Ch::Push,
            Ch::Email,
            Ch::Sms,
            Ch::WhatsappChat,
            Ch::Social,
            Ch::DisplayAds,
            Ch::Affiliate,
        ]);
        s = s.via(ch);
        let voucher = ordering && rng.chance(0.2);
        if voucher {
            // A voucher code in a message: straight to the deals.
            s = s.list(CATALOGUE[rng.below(CATALOGUE.len())].0);
        } else if rng.chance(0.7) {
            s = s.promo_view().wait_secs(rng.range(5, 90)).promo_click();
        } else {
            s = s.promo_click();
        }
        let mut basket = Vec::new();
        for _ in 0..rng.range(2, 4) {
            let p = random_product(rng);
            s = s.view_deal(&p.id).wait_secs(rng.range(20, 150));
            basket.push(p);
        }
        if rng.chance(0.3) {
            s = s.compare(&basket[0].id);
        }
        if shares && k == 0 {
            s = s.share(&basket[0].id);
        }
        if !ordering {
            if rng.chance(0.3) {
                s = s.cart_deal(&basket[0].id);
            }
            day += rng.range(3, gap_max);
            continue;
        }
        let items = rng.range(1, basket.len().min(3) as i64) as usize;
        let mut total = 0;
        for p in &basket[..items] {
            s = s.cart_deal(&p.id).wait_secs(rng.range(10, 60));
            total += discounted(rng, p.price);
        }
        s = s.checkout();
        if voucher || rng.chance(0.5) {
            s = s.coupon();
        }
        s = s
            .paying(payment(rng))
            .checking_out_as(checkout_type(rng, 0.3))
            .buy_deal(total)
            .delivered(rng.range(2, 5));
        placed += 1;
        day += rng.range(4, gap_max);
    }
    let variant = if full_price_order.is_some_and(|i| i < placed) {
        "mostly-discounted"
    } else {
        "all-discounted"
    };
    (s, variant)
}

/// Impulsive/one-time customer: "niatnya beli sedikit, termakan promosi
/// paket dan diskon, beli lebih, belum tentu balik lagi jika tidak ada
/// penawaran serupa" — meant to buy a little, swayed by bundle promotions
/// and discounts, bought more, may not come back without a similar offer.
/// One session from a promotion or a bundle ("paket") on social, display,
/// affiliate, push or a WhatsApp broadcast: the one cheap thing meant,
/// then two to four discounted or bundled extras each added to the cart
/// minutes after first seeing it, sometimes a voucher, and one discounted
/// order; no return visit. The [`DROPPED_AT_CHECKOUT`] variant fills the
/// cart the same way and leaves at checkout.
fn impulsive(rng: &mut SplitMix, id: u64, dropped: bool) -> (Script, &'static str) {
    let day = rng.range(0, SEASON_DAYS - 10);
    let (h, m) = time_of_day(rng);
    let ch = rng.pick(&[
        Ch::Social,
        Ch::Social,
        Ch::DisplayAds,
        Ch::Affiliate,
        Ch::Push,
        Ch::WhatsappChat,
        Ch::Email,
    ]);
    let bundle = rng.chance(0.5);
    let mut s = Script::new(id)
        .at(season_at(day, h, m))
        .via(ch)
        .on_device(device(rng));
    if bundle || rng.chance(0.4) {
        s = s.promo_view().wait_secs(rng.range(3, 40));
    }
    s = s.promo_click();
    let cat = rng.below(CATALOGUE.len());
    // The little thing meant: the cheaper of two products of a category.
    let (a, b) = (product(cat, rng.below(6)), product(cat, rng.below(6)));
    let meant = if a.price <= b.price { a } else { b };
    s = s
        .view(&meant.id)
        .wait_secs(rng.range(20, 90))
        .cart(&meant.id);
    let mut total = meant.price;
    let extras = rng.range(2, 4);
    for _ in 0..extras {
        let near = if rng.chance(0.6) {
            cat
        } else {
            rng.below(CATALOGUE.len())
        };
        let extra = any_product(rng, near);
        s = s
            .view_deal(&extra.id)
            .wait(rng.range(1, 5))
            .cart_deal(&extra.id)
            .wait_secs(rng.range(10, 90));
        total += discounted(rng, extra.price);
    }
    if rng.chance(0.3) {
        s = s.coupon();
    }
    s = s.checkout();
    if dropped {
        if rng.chance(0.5) {
            s = s.shipping();
        }
        return (s, DROPPED_AT_CHECKOUT);
    }
    s = s
        .paying(payment(rng))
        .checking_out_as(checkout_type(rng, 0.6))
        .buy_deal(total)
        .delivered(rng.range(2, 5));
    (s, if bundle { "bundle" } else { "promo" })
}

/// Loyal customer: "sudah biasa beli di ecommerce tersebut, sering
/// menceritakan pengalaman belanja" — habitually buys at this shop, often
/// tells others about it. Four to eight orders from the first weeks of the
/// season to its last weeks, every one to three weeks, of the same staples
/// in one or two home categories, from the app, a WhatsApp chat with the
/// shop, a newsletter or a search for the shop; registered checkout, a
/// favourite way to pay; all at the ordinary price, except that two in five
/// have one discounted order (half of them after a promotion click). Nine in
/// ten tell others: reviews after deliveries, referrals, shares, surveys;
/// the other tenth buys as regularly without a word ("quiet-regular").
/// Some browse between orders.
fn loyal(rng: &mut SplitMix, id: u64) -> (Script, &'static str) {
    let home = rng.below(CATALOGUE.len());
    let second = (home + 1 + rng.below(CATALOGUE.len() - 1)) % CATALOGUE.len();
    let staples: Vec<Product> = (0..rng.range(2, 4))
        .map(|_| {
            let cat = if rng.chance(0.7) { home } else { second };
            any_product(rng, cat)
        })
        .collect();
    let orders = rng.range(4, 8);
    let first = rng.range(0, 14);
    let gap = ((SEASON_DAYS - 8 - first) / orders).max(7);
    let advocate = rng.chance(0.9);
    let deal_order = rng.chance(0.4).then(|| rng.range(1, orders - 1));
    let promised_act = rng.range(0, (orders - 2).max(0));
    let favourite = payment(rng);
    let mut s = Script::new(id)
        .on_device(device(rng))
        .checking_out_as(CheckoutType::Registered);
    let mut day = first;
    let mut told = false;
    let mut had_deal = false;
    for o in 0..orders {
        if day > SEASON_DAYS - 3 {
            break;
        }
        let (h, m) = time_of_day(rng);
        s = s.resume(season_at(day, h, m));
        let deal = deal_order == Some(o);
        had_deal |= deal;
        let ch = if deal && rng.chance(0.5) {
            let ch = rng.pick(&[Ch::Push, Ch::Email, Ch::WhatsappChat]);
            s = s.via(ch).promo_click();
            ch
        } else {
            let ch = rng.pick(&[
                Ch::Direct,
                Ch::Direct,
                Ch::Direct,
                Ch::WhatsappChat,
                Ch::Email,
                Ch::OrganicSearch,
            ]);
            s = s.via(ch);
            ch
        };
        if ch == Ch::OrganicSearch {
            s = s.search_visit();
        } else if rng.chance(0.4) {
            s = s.login();
        }
        if rng.chance(0.3) {
            s = s.list(CATALOGUE[home].0);
        }
        let items = rng.range(1, staples.len() as i64) as usize;
        let mut total = 0;
        for p in &staples[..items] {
            if deal {
                s = s
                    .view_deal(&p.id)
                    .wait_secs(rng.range(10, 60))
                    .cart_deal(&p.id);
                total += discounted(rng, p.price);
            } else {
                s = s.view(&p.id).wait_secs(rng.range(10, 60)).cart(&p.id);
                total += p.price;
            }
        }
        let pay = if rng.chance(0.8) {
            favourite
        } else {
            payment(rng)
        };
        s = s.wait(rng.range(1, 3)).checkout().paying(pay);
        s = if deal {
            s.buy_deal(total)
        } else {
            s.buy(total)
        };
        s = s.delivered(rng.range(1, 4));
        // Telling others happens after the delivery, aside from the clock
        // of the next visits.
        let back = s.now();
        if advocate {
            let p = staples[0].id.clone();
            if rng.chance(0.45) || (!told && o == promised_act) {
                s = s
                    .after_delivery(rng.range(2, 48))
                    .via(Ch::Direct)
                    .review(&p);
                told = true;
            }
            if rng.chance(0.2) {
                s = s
                    .after_delivery(rng.range(24, 120))
                    .via(Ch::WhatsappChat)
                    .referral();
                told = true;
            }
            if rng.chance(0.15) {
                s = s.after_delivery(rng.range(3, 72)).via(Ch::Social).share(&p);
                told = true;
            }
            if rng.chance(0.15) {
                s = s.after_delivery(rng.range(1, 24)).via(Ch::Email).survey();
                told = true;
            }
        }
        s = s.at(back);
        if rng.chance(0.3) {
            // A look around between orders.
            let mid = day + gap / 2;
            let (h, m) = time_of_day(rng);
            let p = any_product(rng, home);
            s = s.resume(season_at(mid, h, m)).via(Ch::Direct).view(&p.id);
        }
        day += (gap + rng.range(-3, 3)).max(5);
    }
    let variant = match (advocate, had_deal) {
        (false, _) => "quiet-regular",
        (true, true) => "advocate-one-deal",
        (true, false) => "advocate",
    };
    (s, variant)
}

/// The WIB date of every order of a population's shopper (for checks).
#[must_use]
pub fn order_dates(touchpoints: &[Touchpoint], id: CustomerId) -> Vec<NaiveDate> {
    touchpoints
        .iter()
        .filter(|t| t.customer == id && t.is(cxjourney::BuiltinKind::OrderCompleted))
        .map(|t| wib_date(t.at))
        .collect()
}
