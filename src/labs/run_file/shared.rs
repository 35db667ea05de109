//! Values several moments share (a dataset, a validation pass, a tree), written once.
//!
//! A snapshot holds such a value in an `Arc`; marking the field
//! `#[serde(with = "crate::labs::run_file::shared")]` (or `shared::option`, `shared::vec`)
//! writes it the first time it is met and, after that, only its number; reading makes one
//! `Arc` of it again that every moment shares, so a reopened run costs what the run did.
//! The numbering lives in a thread-local table that [`scope_write`] / [`scope_read`] set up
//! around one encoding or decoding (outside one, every value is written in full).

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

thread_local! {
    /// While writing: the address of each value written, with its number.
    static WRITTEN: RefCell<Option<HashMap<usize, u32>>> = const { RefCell::new(None) };
    /// While reading: every value read so far, by number.
    static READ: RefCell<Option<Vec<Arc<dyn Any + Send + Sync>>>> = const { RefCell::new(None) };
}

/// Runs `encode` with a fresh table of values written (every `Arc` it meets stays alive
/// meanwhile, so an address names one value).
pub fn scope_write<R>(encode: impl FnOnce() -> R) -> R {
    let previous = WRITTEN.with(|w| w.borrow_mut().replace(HashMap::new()));
    let out = encode();
    WRITTEN.with(|w| *w.borrow_mut() = previous);
    out
}

/// Runs `decode` with a fresh table of values read.
pub fn scope_read<R>(decode: impl FnOnce() -> R) -> R {
    let previous = READ.with(|r| r.borrow_mut().replace(Vec::new()));
    let out = decode();
    READ.with(|r| *r.borrow_mut() = previous);
    out
}

/// On the wire: a value met for the first time, or the number of one met before.
#[derive(Serialize)]
enum Out<'a, T> {
    New(&'a T),
    Seen(u32),
}

#[derive(Deserialize)]
enum In<T> {
    New(T),
    Seen(u32),
}

/// Writes `value` in full the first time, its number after.
pub fn serialize<T: Serialize, S: Serializer>(value: &Arc<T>, s: S) -> Result<S::Ok, S::Error> {
    let key = Arc::as_ptr(value) as *const u8 as usize;
    let seen = WRITTEN.with(|w| {
        let mut w = w.borrow_mut();
        let table = w.as_mut()?;
        if let Some(&n) = table.get(&key) {
            return Some(Some(n));
        }
        let n = table.len() as u32;
        table.insert(key, n);
        Some(None)
    });
    match seen {
        Some(Some(n)) => Out::<T>::Seen(n).serialize(s),
        _ => Out::New(value.as_ref()).serialize(s),
    }
}

/// Reads a value written by [`serialize`].
pub fn deserialize<'de, T, D>(d: D) -> Result<Arc<T>, D::Error>
where
    T: DeserializeOwned + Send + Sync + 'static,
    D: Deserializer<'de>,
{
    match In::<T>::deserialize(d)? {
        In::New(value) => {
            let value = Arc::new(value);
            READ.with(|r| {
                if let Some(table) = r.borrow_mut().as_mut() {
                    table.push(Arc::clone(&value) as Arc<dyn Any + Send + Sync>);
                }
            });
            Ok(value)
        }
        In::Seen(n) => {
            let any = READ
                .with(|r| r.borrow().as_ref().and_then(|t| t.get(n as usize).cloned()))
                .ok_or_else(|| D::Error::custom(format!("shared value {n} was never written")))?;
            any.downcast::<T>()
                .map_err(|_| D::Error::custom(format!("shared value {n} is of another type")))
        }
    }
}

/// A borrowed `Arc` written as [`serialize`] writes it.
#[derive(Serialize)]
struct Wrap<'a, T: Serialize>(#[serde(serialize_with = "serialize_ref")] &'a Arc<T>);

fn serialize_ref<T: Serialize, S: Serializer>(value: &&Arc<T>, s: S) -> Result<S::Ok, S::Error> {
    serialize(value, s)
}

/// The same for an `Option<Arc<T>>`.
pub mod option {
    use super::*;

    /// Writes `None`, or the value as [`serialize`](super::serialize) does.
    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Arc<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        value.as_ref().map(Wrap).serialize(s)
    }

    /// Reads what [`serialize`] wrote.
    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<Arc<T>>, D::Error>
    where
        T: DeserializeOwned + Send + Sync + 'static,
        D: Deserializer<'de>,
    {
        #[derive(Deserialize)]
        #[serde(bound = "T: DeserializeOwned + Send + Sync + 'static")]
        struct Wrap<T>(#[serde(with = "super")] Arc<T>);
        Ok(Option::<Wrap<T>>::deserialize(d)?.map(|w| w.0))
    }
}

/// The same for a `Vec<Arc<T>>` (each element shared on its own).
pub mod vec {
    use super::*;

    /// Writes each element as [`serialize`](super::serialize) does.
    pub fn serialize<T: Serialize, S: Serializer>(
        value: &[Arc<T>],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(value.iter().map(Wrap))
    }

    /// Reads what [`serialize`] wrote.
    pub fn deserialize<'de, T, D>(d: D) -> Result<Vec<Arc<T>>, D::Error>
    where
        T: DeserializeOwned + Send + Sync + 'static,
        D: Deserializer<'de>,
    {
        #[derive(Deserialize)]
        #[serde(bound = "T: DeserializeOwned + Send + Sync + 'static")]
        struct Wrap<T>(#[serde(with = "super")] Arc<T>);
        Ok(Vec::<Wrap<T>>::deserialize(d)?
            .into_iter()
            .map(|w| w.0)
            .collect())
    }
}
