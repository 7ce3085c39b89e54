//! The Rust core of synthrisk.
//!
//! Every heavy loop of the Python package lives here and is reached through `synthrisk._native`.
//! The core has no PyO3 outside `py/` (feature `python`), so `cargo test` needs no Python.

pub mod accounting;
pub mod density;
pub mod error;
pub mod fastexp;
pub mod marginals;
pub mod neighbors;
pub mod noise;

#[cfg(feature = "python")]
mod py;

pub use error::{Error, Result};
