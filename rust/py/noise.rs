//! Bindings for `crate::noise`.

use super::to_py_err;
use crate::noise;
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;

/// Exact discrete Gaussian draws (see `synthrisk.noise.discrete_gaussian`).
#[pyfunction]
#[pyo3(signature = (sigma, size, seed=None))]
fn discrete_gaussian<'py>(py: Python<'py>, sigma: f64, size: usize, seed: Option<u64>) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let draws = py.detach(|| noise::discrete_gaussian(sigma, size, seed)).map_err(to_py_err)?;
    Ok(draws.into_pyarray(py))
}

/// Exact discrete Laplace draws (see `synthrisk.noise.discrete_laplace`).
#[pyfunction]
#[pyo3(signature = (scale, size, seed=None))]
fn discrete_laplace<'py>(py: Python<'py>, scale: u64, size: usize, seed: Option<u64>) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let draws = py.detach(|| noise::discrete_laplace(scale, size, seed)).map_err(to_py_err)?;
    Ok(draws.into_pyarray(py))
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(discrete_gaussian, m)?)?;
    m.add_function(wrap_pyfunction!(discrete_laplace, m)?)?;
    Ok(())
}
