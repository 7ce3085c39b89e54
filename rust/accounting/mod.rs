//! Differential-privacy accounting. Every conversion rounds towards the safe side: a reported ε
//! is never smaller than the mechanism's true ε.

pub mod zcdp;
