//! Small code tables for "built-in or custom" values (kinds, channels): the
//! built-ins take fixed codes `0..N` in canonical order, custom values follow.

use serde::{Deserialize, Serialize};

use super::dict::Dictionary;
use crate::error::{Error, Result};
use crate::model::{BuiltinChannel, BuiltinKind, Channel, TouchpointKind};

/// A value with built-in variants at fixed codes and custom ones after them.
pub(crate) trait Coded: Clone + Sized {
    /// Every built-in value, in canonical order (code = position).
    fn builtins() -> Vec<Self>;
    /// The code of a built-in value.
    fn builtin_code(&self) -> Option<u16>;
    /// A custom value from its name (the name was taken from a value of this type).
    fn custom(name: &str) -> Result<Self>;
    /// The name, for custom values.
    fn name(&self) -> &str;
}

impl Coded for TouchpointKind {
    fn builtins() -> Vec<Self> {
        BuiltinKind::ALL.iter().map(|&k| k.into()).collect()
    }
    fn builtin_code(&self) -> Option<u16> {
        self.builtin().map(|b| b.index() as u16)
    }
    fn custom(name: &str) -> Result<Self> {
        TouchpointKind::custom(name)
    }
    fn name(&self) -> &str {
        self.as_str()
    }
}

impl Coded for Channel {
    fn builtins() -> Vec<Self> {
        BuiltinChannel::ALL.iter().map(|&c| c.into()).collect()
    }
    fn builtin_code(&self) -> Option<u16> {
        self.builtin().map(|b| b.index() as u16)
    }
    fn custom(name: &str) -> Result<Self> {
        Channel::custom(name)
    }
    fn name(&self) -> &str {
        self.as_str()
    }
}

/// Codes of one "built-in or custom" column. Serializes as its custom names;
/// deserializing checks each name and rebuilds the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Codes<T: Coded> {
    /// Custom names, keyed from 0; their code is `builtins + key`.
    custom: Dictionary,
    /// Every value by code: the built-ins, then the custom values.
    table: Vec<T>,
}

impl<T: Coded> Serialize for Codes<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.custom.serialize(s)
    }
}

impl<'de, T: Coded> Deserialize<'de> for Codes<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let custom = Dictionary::deserialize(d)?;
        let mut table = T::builtins();
        for name in custom.iter() {
            table.push(T::custom(name).map_err(serde::de::Error::custom)?);
        }
        Ok(Codes { custom, table })
    }
}

impl<T: Coded> Default for Codes<T> {
    fn default() -> Self {
        Codes {
            custom: Dictionary::new(),
            table: T::builtins(),
        }
    }
}

impl<T: Coded> Codes<T> {
    /// The code of `value`, adding custom values.
    pub(crate) fn code(&mut self, value: &T) -> Result<u16> {
        if let Some(c) = value.builtin_code() {
            return Ok(c);
        }
        let builtins = self.table.len() - self.custom.len();
        if let Some(key) = self.custom.get(value.name()) {
            return Ok((builtins + key as usize) as u16);
        }
        // A new value: check the code fits before adding anything, so a
        // refused value leaves the table as it was.
        let code = u16::try_from(self.table.len()).map_err(|_| Error::TooMuchWork {
            what: "distinct kinds or channels, built-in ones included",
            limit: u64::from(u16::MAX) + 1,
        })?;
        self.custom.intern(value.name())?;
        self.table.push(value.clone());
        Ok(code)
    }

    /// The code of a custom value by name, if present.
    pub(crate) fn find_custom(&self, name: &str) -> Option<u16> {
        let builtins = self.table.len() - self.custom.len();
        let key = self.custom.get(name)?;
        u16::try_from(builtins + key as usize).ok()
    }

    /// How many codes are in use (built-ins included).
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// The value of a code.
    pub(crate) fn get(&self, code: u16) -> Option<&T> {
        self.table.get(usize::from(code))
    }

    /// Sorts the custom values by name; returns the old-to-new code map.
    pub(crate) fn canonicalize(&mut self) -> Vec<u16> {
        let n = self.table.len() - self.custom.len();
        let custom_map = self.custom.canonicalize();
        let mut map: Vec<u16> = (0..n as u16).collect();
        map.extend(custom_map.iter().map(|&k| (n as u32 + k) as u16));
        let mut table = T::builtins();
        table.extend(self.custom.iter().filter_map(|name| T::custom(name).ok()));
        self.table = table;
        map
    }
}
