//! Differential-privacy accounting. Every conversion rounds towards the safe side: a reported ε
//! is never smaller than the mechanism's true ε.
//!
//! * [`mechanism`]: immutable mechanism records and compositions;
//! * [`rdp`]: Rényi DP with exact subsampled-Gaussian series and a certified order search;
//! * [`zcdp`]: zero-concentrated DP and its tight conversion;
//! * [`pld`]: privacy loss distributions, pessimistic connect-the-dots discretisation and FFT
//!   composition;
//! * [`calibrate`]: the inverse problems (noise for a target ε, steps for a target ε).

pub mod calibrate;
pub mod mechanism;
pub mod pld;
pub mod rdp;
pub mod special;
pub mod zcdp;

pub use mechanism::{Component, Mechanism};
