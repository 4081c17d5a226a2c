//! A flat event log of the shape of the peers' `events_small.csv`, at any
//! size: the data behind the funnel benchmarks and `examples/gen_events.rs`.

use serde::{Deserialize, Serialize};

use super::Rng;
use crate::error::{Error, Result};

/// The nine event names of the log, in id order.
pub const EVENT_LOG_NAMES: [&str; 9] = [
    "ad_click",
    "search_visit",
    "product_view",
    "review_read",
    "add_to_cart",
    "checkout_start",
    "purchase",
    "repeat_purchase",
    "referral",
];

/// Next-event weights per event, in the order of [`EVENT_LOG_NAMES`].
const NEXT: [[f64; 9]; 9] = [
    [0.0, 0.3, 0.7, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.15, 0.85, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.1, 0.1, 0.25, 0.15, 0.4, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.5, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.3, 0.0, 0.2, 0.5, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.25, 0.0, 0.0, 0.0, 0.75, 0.0, 0.0],
    [0.0, 0.0, 0.6, 0.0, 0.0, 0.0, 0.0, 0.2, 0.2],
    [0.0, 0.0, 0.7, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3],
    [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
];

/// The size and seed of a generated event log. Deserializing validates
/// ([`EventLogConfig::validate`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "EventLogConfigData")]
pub struct EventLogConfig {
    /// Number of users. Default 190 (the size of the peers' small log);
    /// 1,200,000 gives about 6.7M rows. At most
    /// [`EventLogConfig::MAX_USERS`].
    pub users: u64,
    /// The random seed. Default 7.
    pub seed: u64,
}

impl Default for EventLogConfig {
    fn default() -> Self {
        EventLogConfig {
            users: 190,
            seed: 7,
        }
    }
}

/// An [`EventLogConfig`] as deserialized, before it is validated.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct EventLogConfigData {
    users: u64,
    seed: u64,
}

impl Default for EventLogConfigData {
    fn default() -> Self {
        let c = EventLogConfig::default();
        EventLogConfigData {
            users: c.users,
            seed: c.seed,
        }
    }
}

impl TryFrom<EventLogConfigData> for EventLogConfig {
    type Error = Error;

    fn try_from(d: EventLogConfigData) -> Result<EventLogConfig> {
        let c = EventLogConfig {
            users: d.users,
            seed: d.seed,
        };
        c.validate()?;
        Ok(c)
    }
}

impl EventLogConfig {
    /// The most users a log may have: 20,000,000 (about 112 million rows,
    /// 2.7 GB).
    pub const MAX_USERS: u64 = 20_000_000;

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the value when `users` is above
    /// [`EventLogConfig::MAX_USERS`].
    pub fn validate(&self) -> Result<()> {
        if self.users > Self::MAX_USERS {
            return Err(Error::InvalidConfig {
                field: "users",
                value: self.users.to_string(),
                reason: "at most 20000000",
            });
        }
        Ok(())
    }
}

/// One row of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LoggedEvent {
    /// Seconds since the Unix epoch (UTC).
    pub ts: i64,
    /// The user, from 1.
    pub user: u64,
    /// Index into [`EVENT_LOG_NAMES`].
    pub event: u8,
}

impl LoggedEvent {
    /// The event's name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        EVENT_LOG_NAMES
            .get(usize::from(self.event))
            .copied()
            .unwrap_or("event")
    }
}

/// An event log of the shape of the peers' `events_small.csv`: each user walks
/// browse, cart, checkout, purchase with 1 + geometric (mean 4.6) events, at
/// most 40, starting at a random moment of 91 days from 2024-01-01. Of the
/// consecutive gaps of a user about 3% are 0 s (same-second ties, half of them
/// written in reverse funnel order), 1% each exactly 3600 s and 3601 s, and
/// 0.5% each exactly 604800 s and 604801 s. Rows are sorted by time only
/// (stable), not by user, as the peers' file is.
///
/// ```
/// use cxjourney::sample::{EventLogConfig, event_log};
/// let log = event_log(&EventLogConfig { users: 100, seed: 1 })?;
/// assert!(log.len() >= 100);
/// assert!(log.windows(2).all(|w| w[0].ts <= w[1].ts));
/// # Ok::<(), cxjourney::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidConfig`] naming the value for a configuration that does
/// not validate ([`EventLogConfig::validate`]).
pub fn event_log(config: &EventLogConfig) -> Result<Vec<LoggedEvent>> {
    config.validate()?;
    let mut rng = Rng::new(config.seed);
    let start = 1_704_067_200; // 2024-01-01T00:00:00Z
    let span = 91 * 86_400;
    let capacity = usize::try_from(config.users)
        .unwrap_or(usize::MAX / 8)
        .saturating_mul(6);
    let mut rows: Vec<LoggedEvent> = Vec::with_capacity(capacity.min(1 << 28));
    let next = |rng: &mut Rng, ev: usize| rng.weighted(NEXT.get(ev).map_or(&[][..], |w| &w[..]));
    for user in 1..=config.users {
        let mut n = 1;
        while n < 40 && rng.chance(4.6 / 5.6) {
            n += 1;
        }
        let mut ts = start + rng.range(0, span);
        let mut ev = rng.weighted(&[0.2, 0.3, 0.5]);
        for i in 0..n {
            let row = |ts, ev: usize| LoggedEvent {
                ts,
                user,
                event: ev as u8,
            };
            if i > 0 {
                let g = gap(&mut rng);
                ts += g;
                if g == 0 && rng.chance(0.5) {
                    // A same-second tie written in reverse funnel order.
                    if let Some(last) = rows.pop() {
                        rows.push(row(ts, ev));
                        rows.push(last);
                        ev = next(&mut rng, ev);
                        continue;
                    }
                }
            }
            rows.push(row(ts, ev));
            ev = next(&mut rng, ev);
        }
    }
    rows.sort_by_key(|r| r.ts);
    Ok(rows)
}

fn gap(rng: &mut Rng) -> i64 {
    let u = rng.unit();
    if u < 0.03 {
        0
    } else if u < 0.04 {
        3600
    } else if u < 0.05 {
        3601
    } else if u < 0.055 {
        604_800
    } else if u < 0.06 {
        604_801
    } else if rng.chance(0.8) {
        // Within a session.
        rng.range(1, 900)
    } else {
        // A later visit: hours to two weeks, never one of the exact values above.
        let g = rng.range(3602, 14 * 86_400);
        if g == 604_800 || g == 604_801 {
            g + 2
        } else {
            g
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_has_the_peers_shape() {
        let log = event_log(&EventLogConfig {
            users: 20_000,
            seed: 7,
        })
        .unwrap();
        assert_eq!(
            log,
            event_log(&EventLogConfig {
                users: 20_000,
                seed: 7
            })
            .unwrap()
        );
        let per_user = log.len() as f64 / 20_000.0;
        assert!((5.0..6.2).contains(&per_user), "{per_user}");
        let mut by_user = log.clone();
        by_user.sort_by_key(|r| (r.user, r.ts));
        let gaps: Vec<i64> = by_user
            .windows(2)
            .filter(|w| w[0].user == w[1].user)
            .map(|w| w[1].ts - w[0].ts)
            .collect();
        let share = |g: i64| gaps.iter().filter(|&&x| x == g).count() as f64 / gaps.len() as f64;
        assert!((0.02..0.04).contains(&share(0)));
        assert!((0.005..0.015).contains(&share(3600)) && (0.005..0.015).contains(&share(3601)));
        assert!(
            (0.002..0.008).contains(&share(604_800)) && (0.002..0.008).contains(&share(604_801))
        );
        assert!(
            log.iter()
                .all(|r| usize::from(r.event) < EVENT_LOG_NAMES.len())
        );
    }
}
