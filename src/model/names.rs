//! A declarative macro for closed unit enums that spell themselves in snake_case.
//!
//! Every such enum gets: `ALL` in canonical order, `as_str`, `index`,
//! `Display`, `FromStr` (the same snake_case spelling, an error naming the
//! value otherwise) and serde through those strings.

/// Defines a closed unit enum with snake_case names and their conversions.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $what:literal {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $text:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in canonical order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The snake_case name, as `Display`, `FromStr` and serde spell it.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            /// The position in canonical order, starting at 0.
            #[must_use]
            pub const fn index(self) -> usize {
                self as usize
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::error::Error;

            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::error::Error::invalid_name(
                        $what,
                        s,
                        $name::ALL.iter().map(|v| v.as_str()),
                    )),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                let s = <::std::string::String as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use named_enum;

use crate::error::{Error, Result};

/// A user-defined name for a channel or touchpoint kind.
///
/// It is never empty, at most 64 bytes long, and never spells a built-in name,
/// so a custom value never collides with a built-in one and every value
/// round-trips through its string form. Build one through
/// [`Channel::custom`](crate::Channel::custom) or
/// [`TouchpointKind::custom`](crate::TouchpointKind::custom).
///
/// On its own (outside a channel or kind), serde checks only emptiness and
/// length, since it does not know which built-in names to avoid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct CustomName(Box<str>);

impl<'de> serde::Deserialize<'de> for CustomName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CustomName::new("name", &s, false).map_err(serde::de::Error::custom)
    }
}

impl CustomName {
    /// The longest accepted name, in bytes.
    pub const MAX_LEN: usize = 64;

    pub(crate) fn new(what: &'static str, name: &str, builtin: bool) -> Result<Self> {
        let reason = if name.trim().is_empty() {
            Some("it is empty")
        } else if name.len() > Self::MAX_LEN {
            Some("it is longer than 64 bytes")
        } else if builtin {
            Some("it is the name of a built-in value; use that value instead")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(Error::InvalidCustomName {
                what,
                value: name.to_owned(),
                reason,
            }),
            None => Ok(CustomName(name.into())),
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CustomName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Serde for `$ty` through its `Display` / `FromStr` string form.
macro_rules! serde_via_str {
    ($ty:ty) => {
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(
                &self,
                s: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let s = <::std::string::String as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use serde_via_str;

/// The shared API of a "built-in or custom" enum such as
/// [`Channel`](crate::Channel) and [`TouchpointKind`](crate::TouchpointKind):
/// `custom`, `as_str`, `builtin`, `From<builtin>`, `Display`, `FromStr` (a
/// built-in name gives the built-in value, anything else a custom one) and
/// serde through the string.
macro_rules! builtin_or_custom {
    ($name:ident, $builtin:ident, $what:literal) => {
        impl $name {
            #[doc = concat!("A ", $what, " of the caller's own.")]
            ///
            /// # Errors
            /// [`Error::InvalidCustomName`](crate::Error::InvalidCustomName) when
            /// the name is empty, longer than
            /// [`CustomName::MAX_LEN`](crate::CustomName::MAX_LEN) bytes, or
            #[doc = concat!("spells a built-in ", $what, ".")]
            pub fn custom(name: &str) -> $crate::error::Result<$name> {
                let builtin = name.parse::<$builtin>().is_ok();
                $crate::model::CustomName::new($what, name, builtin).map($name::Custom)
            }

            /// The name: snake_case for built-in values, the custom name otherwise.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $name::Builtin(b) => b.as_str(),
                    $name::Custom(c) => c.as_str(),
                }
            }

            #[doc = concat!("The built-in ", $what, ", if this is one.")]
            #[must_use]
            pub fn builtin(&self) -> Option<$builtin> {
                match self {
                    $name::Builtin(b) => Some(*b),
                    $name::Custom(_) => None,
                }
            }
        }

        impl From<$builtin> for $name {
            fn from(b: $builtin) -> Self {
                $name::Builtin(b)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::error::Error;

            fn from_str(s: &str) -> $crate::error::Result<Self> {
                match s.parse::<$builtin>() {
                    Ok(b) => Ok($name::Builtin(b)),
                    Err(_) => $name::custom(s),
                }
            }
        }

        $crate::model::names::serde_via_str!($name);
    };
}

pub(crate) use builtin_or_custom;
