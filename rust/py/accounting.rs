//! Bindings for `crate::accounting`.
//!
//! A composition crosses the boundary as a list of `(kind, a, b, count)` tuples (see
//! `synthrisk.accounting.mechanisms`); every call that computes releases the GIL.

use super::to_py_err;
use crate::accounting::calibrate::{self, Accountant};
use crate::accounting::pld::{self, PldOptions};
use crate::accounting::rdp::{self, RdpOptions};
use crate::accounting::{mechanism, zcdp, Component, Mechanism};
use crate::error::Error;
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

type MechanismTuple = (String, f64, f64, u64);

/// Runs `f` without the GIL; a panic (a bug) becomes an error instead of crossing into Python.
fn guarded<T: Send>(py: Python<'_>, f: impl FnOnce() -> crate::Result<T> + Send) -> PyResult<T> {
    py.detach(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Error::invalid(format!(
                "internal error in the accounting engine ({msg}); please report it with the arguments"
            )))
        })
    })
    .map_err(to_py_err)
}

fn to_components(mechanisms: &[MechanismTuple]) -> PyResult<Vec<Component>> {
    mechanisms
        .iter()
        .map(|(kind, a, b, count)| {
            let m = match kind.as_str() {
                "gaussian" => Mechanism::Gaussian { noise_multiplier: *a },
                "laplace" => Mechanism::Laplace { epsilon: *a },
                "randomized_response" => {
                    if !(b.fract() == 0.0 && *b >= 2.0 && *b <= u32::MAX as f64) {
                        return Err(to_py_err(Error::invalid(format!(
                            "randomised response: categories must be an integer of at least 2, got {b}"
                        ))));
                    }
                    Mechanism::RandomizedResponse { epsilon: *a, categories: *b as u32 }
                }
                "exponential" => Mechanism::Exponential { epsilon: *a },
                "poisson_gaussian" => Mechanism::PoissonGaussian { noise_multiplier: *a, sample_rate: *b },
                "wor_gaussian" => Mechanism::WorGaussian { noise_multiplier: *a, sample_rate: *b },
                other => {
                    return Err(to_py_err(Error::invalid(format!("unknown mechanism kind {other:?}"))))
                }
            };
            Ok(Component::new(m, *count))
        })
        .collect()
}

fn accountant(name: &str, orders: Option<Vec<f64>>, refine: bool, discretization: Option<f64>) -> PyResult<Accountant> {
    match name {
        "rdp" => Ok(Accountant::Rdp(RdpOptions { orders, refine })),
        "pld" => Ok(Accountant::Pld(PldOptions { discretization, ..Default::default() })),
        "zcdp" => Ok(Accountant::Zcdp),
        other => Err(to_py_err(Error::invalid(format!(
            "accountant must be 'rdp', 'pld' or 'zcdp', got {other:?}"
        )))),
    }
}

/// The default RDP orders.
#[pyfunction]
fn rdp_default_orders() -> Vec<f64> {
    rdp::default_orders()
}

/// The smallest ε over the orders and the order that gave it (None when ε is infinite).
#[pyfunction]
#[pyo3(signature = (mechanisms, delta, orders=None, refine=false))]
fn rdp_epsilon(
    py: Python<'_>,
    mechanisms: Vec<MechanismTuple>,
    delta: f64,
    orders: Option<Vec<f64>>,
    refine: bool,
) -> PyResult<(f64, Option<f64>)> {
    let c = to_components(&mechanisms)?;
    let r = guarded(py, || rdp::epsilon(&c, delta, &RdpOptions { orders, refine }))?;
    Ok((r.value, r.order))
}

/// The smallest δ over the orders and the order that gave it.
#[pyfunction]
#[pyo3(signature = (mechanisms, epsilon, orders=None, refine=false))]
fn rdp_delta(
    py: Python<'_>,
    mechanisms: Vec<MechanismTuple>,
    epsilon: f64,
    orders: Option<Vec<f64>>,
    refine: bool,
) -> PyResult<(f64, Option<f64>)> {
    let c = to_components(&mechanisms)?;
    let r = guarded(py, || rdp::delta(&c, epsilon, &RdpOptions { orders, refine }))?;
    Ok((r.value, r.order))
}

/// The RDP D_α of the composition at each order.
#[pyfunction]
fn rdp_curve(py: Python<'_>, mechanisms: Vec<MechanismTuple>, orders: Vec<f64>) -> PyResult<Vec<f64>> {
    let c = to_components(&mechanisms)?;
    guarded(py, || rdp::curve(&c, &orders))
}

/// ρ of the composition under zCDP.
#[pyfunction]
fn zcdp_composition_rho(mechanisms: Vec<MechanismTuple>) -> PyResult<f64> {
    let c = to_components(&mechanisms)?;
    mechanism::zcdp_rho(&c).map_err(to_py_err)
}

/// PLD ε (rounded up), the grid interval used, ε(2h) − ε(h) when asked, and whether the
/// (smaller) RDP bound was returned instead.
#[pyfunction]
#[pyo3(signature = (mechanisms, delta, discretization=None, tail_mass=1e-15, error_estimate=false))]
fn pld_epsilon(
    py: Python<'_>,
    mechanisms: Vec<MechanismTuple>,
    delta: f64,
    discretization: Option<f64>,
    tail_mass: f64,
    error_estimate: bool,
) -> PyResult<(f64, f64, Option<f64>, bool)> {
    let c = to_components(&mechanisms)?;
    let o = PldOptions { discretization, tail_mass, error_estimate, ..Default::default() };
    let r = guarded(py, || pld::epsilon(&c, delta, &o))?;
    Ok((r.value, r.discretization, r.error_estimate, r.rdp_bound))
}

/// PLD δ (rounded up), the grid interval used, and whether the RDP bound was returned.
#[pyfunction]
#[pyo3(signature = (mechanisms, epsilon, discretization=None, tail_mass=1e-15))]
fn pld_delta(
    py: Python<'_>,
    mechanisms: Vec<MechanismTuple>,
    epsilon: f64,
    discretization: Option<f64>,
    tail_mass: f64,
) -> PyResult<(f64, f64, bool)> {
    let c = to_components(&mechanisms)?;
    let o = PldOptions { discretization, tail_mass, ..Default::default() };
    let r = guarded(py, || pld::delta(&c, epsilon, &o))?;
    Ok((r.value, r.discretization, r.rdp_bound))
}

/// The smallest factor on every Gaussian noise multiplier that meets (ε, δ).
#[pyfunction]
#[pyo3(signature = (mechanisms, epsilon, delta, accountant="rdp", orders=None, discretization=None, rtol=1e-6))]
#[allow(clippy::too_many_arguments)]
fn calibrate_noise_scale(
    py: Python<'_>,
    mechanisms: Vec<MechanismTuple>,
    epsilon: f64,
    delta: f64,
    accountant: &str,
    orders: Option<Vec<f64>>,
    discretization: Option<f64>,
    rtol: f64,
) -> PyResult<f64> {
    let c = to_components(&mechanisms)?;
    let a = self::accountant(accountant, orders, false, discretization)?;
    guarded(py, || calibrate::noise_scale(&c, epsilon, delta, &a, rtol))
}

/// The largest number of repetitions of `step` (with `fixed` spent too) that meets (ε, δ).
#[pyfunction]
#[pyo3(signature = (step, fixed, epsilon, delta, accountant="rdp", orders=None, discretization=None))]
#[allow(clippy::too_many_arguments)]
fn max_repetitions(
    py: Python<'_>,
    step: Vec<MechanismTuple>,
    fixed: Vec<MechanismTuple>,
    epsilon: f64,
    delta: f64,
    accountant: &str,
    orders: Option<Vec<f64>>,
    discretization: Option<f64>,
) -> PyResult<u64> {
    let s = to_components(&step)?;
    let f = to_components(&fixed)?;
    let a = self::accountant(accountant, orders, false, discretization)?;
    guarded(py, || calibrate::max_count(&s, &f, epsilon, delta, &a))
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(zcdp_epsilon, m)?)?;
    m.add_function(wrap_pyfunction!(zcdp_delta, m)?)?;
    m.add_function(wrap_pyfunction!(zcdp_rho, m)?)?;
    m.add_function(wrap_pyfunction!(gaussian_sigma_for_rho, m)?)?;
    m.add_function(wrap_pyfunction!(rdp_default_orders, m)?)?;
    m.add_function(wrap_pyfunction!(rdp_epsilon, m)?)?;
    m.add_function(wrap_pyfunction!(rdp_delta, m)?)?;
    m.add_function(wrap_pyfunction!(rdp_curve, m)?)?;
    m.add_function(wrap_pyfunction!(zcdp_composition_rho, m)?)?;
    m.add_function(wrap_pyfunction!(pld_epsilon, m)?)?;
    m.add_function(wrap_pyfunction!(pld_delta, m)?)?;
    m.add_function(wrap_pyfunction!(calibrate_noise_scale, m)?)?;
    m.add_function(wrap_pyfunction!(max_repetitions, m)?)?;
    Ok(())
}
