//! The only PyO3 code: the `synthrisk._native` module, argument conversion and the one place
//! where core errors become `synthrisk.errors` exceptions. Every hot call releases the GIL.

mod accounting;
mod density;
mod marginals;
mod neighbors;
mod noise;

use crate::error::Error;
use pyo3::prelude::*;

/// Converts a core error to the matching `synthrisk.errors` class.
pub(crate) fn to_py_err(err: Error) -> PyErr {
    let class = match &err {
        Error::InvalidArgument(_) => "InvalidArgumentError",
        Error::Shape(_) => "ShapeError",
        Error::Memory(_) => "MemoryLimitError",
    };
    let message = err.to_string();
    Python::attach(|py| {
        match py.import("synthrisk.errors").and_then(|m| m.getattr(class)) {
            Ok(cls) => PyErr::from_type(cls.cast_into().expect("an exception class"), message),
            Err(e) => e,
        }
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    neighbors::register(m)?;
    noise::register(m)?;
    accounting::register(m)?;
    density::register(m)?;
    marginals::register(m)?;
    Ok(())
}
