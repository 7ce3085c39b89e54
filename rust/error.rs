//! The one error type of the core. `py/` converts it to `synthrisk.errors` in one place.

/// What went wrong, with enough words for the user to fix it.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Error {
    /// An argument has a value outside what the function accepts.
    #[error("{0}")]
    InvalidArgument(String),
    /// Arrays whose shapes do not fit together.
    #[error("{0}")]
    Shape(String),
    /// Work that would need more memory than is sensible.
    #[error("{0}")]
    Memory(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidArgument(msg.into())
    }
    pub fn shape(msg: impl Into<String>) -> Self {
        Error::Shape(msg.into())
    }
}
