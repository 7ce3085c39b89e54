//! Bindings for `crate::accounting`.

use super::to_py_err;
use crate::accounting::zcdp;
use pyo3::prelude::*;

/// ε (rounded up) at which a ρ-zCDP mechanism is (ε, δ)-DP.
#[pyfunction]
fn zcdp_epsilon(rho: f64, delta: f64) -> PyResult<f64> {
    zcdp::epsilon_for_delta(rho, delta).map_err(to_py_err)
}

/// δ at which a ρ-zCDP mechanism is (ε, δ)-DP.
#[pyfunction]
fn zcdp_delta(rho: f64, epsilon: f64) -> PyResult<f64> {
    zcdp::delta_for_epsilon(rho, epsilon).map_err(to_py_err)
}

/// The largest ρ (rounded down) that implies (ε, δ)-DP.
#[pyfunction]
fn zcdp_rho(epsilon: f64, delta: f64) -> PyResult<f64> {
    zcdp::rho_for_epsilon(epsilon, delta).map_err(to_py_err)
}

/// Noise scale of the Gaussian mechanism that spends at most ρ.
#[pyfunction]
fn gaussian_sigma_for_rho(sensitivity: f64, rho: f64) -> PyResult<f64> {
    zcdp::gaussian_sigma(sensitivity, rho).map_err(to_py_err)
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(zcdp_epsilon, m)?)?;
    m.add_function(wrap_pyfunction!(zcdp_delta, m)?)?;
    m.add_function(wrap_pyfunction!(zcdp_rho, m)?)?;
    m.add_function(wrap_pyfunction!(gaussian_sigma_for_rho, m)?)?;
    Ok(())
}
