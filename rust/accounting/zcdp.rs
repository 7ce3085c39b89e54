//! Zero-concentrated DP (ρ-zCDP) and its tight conversion to (ε, δ)-DP.
//!
//! Conversion: Canonne, Kamath & Steinke (2020), Proposition 12 / Corollary 13: a ρ-zCDP mechanism
//! is (ε, δ)-DP with
//!   δ(ε) = inf_{α > 1} exp((α − 1)(αρ − ε)) / (α − 1) · (1 − 1/α)^α.
//! The infimum is found by bisection on the derivative of the log of the objective, which is
//! increasing in α; ε(δ) and ρ(ε, δ) are found by bisection and rounded to the safe side.

use super::special::bisect;
use crate::error::{Error, Result};

/// ρ of the Gaussian mechanism with L2 sensitivity `sensitivity` and noise scale `sigma`.
pub fn gaussian_rho(sensitivity: f64, sigma: f64) -> Result<f64> {
    if !(sigma > 0.0 && sigma.is_finite()) {
        return Err(Error::invalid(format!("sigma must be positive and finite, got {sigma}")));
    }
    if !(sensitivity >= 0.0 && sensitivity.is_finite()) {
        return Err(Error::invalid(format!("sensitivity must be non-negative and finite, got {sensitivity}")));
    }
    Ok(sensitivity * sensitivity / (2.0 * sigma * sigma))
}

/// The smallest noise scale whose Gaussian mechanism spends at most `rho`.
pub fn gaussian_sigma(sensitivity: f64, rho: f64) -> Result<f64> {
    check_rho(rho)?;
    if rho == 0.0 {
        return Err(Error::invalid("rho must be positive to calibrate noise"));
    }
    // Round σ up by one ulp-scale step so that ρ(σ) ≤ the budget after floating-point error.
    Ok((sensitivity / (2.0 * rho).sqrt()) * (1.0 + 1e-12))
}

fn check_rho(rho: f64) -> Result<()> {
    if rho.is_nan() || rho < 0.0 {
        return Err(Error::invalid(format!("rho must be non-negative, got {rho}")));
    }
    Ok(())
}

fn check_delta(delta: f64) -> Result<()> {
    if !(delta > 0.0 && delta < 1.0) {
        return Err(Error::invalid(format!("delta must lie in (0, 1), got {delta}")));
    }
    Ok(())
}

/// log δ(ε) for a ρ-zCDP mechanism, computed at the optimal order.
fn log_delta(rho: f64, epsilon: f64) -> f64 {
    if rho == 0.0 {
        return f64::NEG_INFINITY;
    }
    // d/dα of the log-objective: (2α − 1)ρ − ε + log(1 − 1/α); increasing in α.
    let slope = |a: f64| (2.0 * a - 1.0) * rho - epsilon + (-1.0 / a).ln_1p();
    let top = (epsilon + 1.0) / (2.0 * rho) + 2.0;
    let (lo, hi) = bisect(1.0 + 1e-12, top, |a| slope(a) < 0.0);
    // Any α gives a valid δ; the objective at the bracket's end is an upper bound to the infimum.
    let objective = |a: f64| (a - 1.0) * (a * rho - epsilon) + a * (-1.0 / a).ln_1p() - (a - 1.0).ln();
    objective(lo).min(objective(hi))
}

/// δ such that a ρ-zCDP mechanism is (ε, δ)-DP (capped at 1).
pub fn delta_for_epsilon(rho: f64, epsilon: f64) -> Result<f64> {
    check_rho(rho)?;
    if epsilon.is_nan() || epsilon < 0.0 {
        return Err(Error::invalid(format!("epsilon must be non-negative, got {epsilon}")));
    }
    Ok(log_delta(rho, epsilon).exp().min(1.0))
}

/// The smallest ε (rounded up) such that a ρ-zCDP mechanism is (ε, δ)-DP.
pub fn epsilon_for_delta(rho: f64, delta: f64) -> Result<f64> {
    check_rho(rho)?;
    check_delta(delta)?;
    if rho == 0.0 {
        return Ok(0.0);
    }
    if rho.is_infinite() {
        return Ok(f64::INFINITY);
    }
    let target = delta.ln();
    // The classic bound ε = ρ + 2√(ρ log(1/δ)) is always valid, so it brackets the answer.
    if log_delta(rho, 0.0) <= target {
        return Ok(0.0);
    }
    let hi = rho + 2.0 * (rho * (1.0 / delta).ln()).sqrt();
    Ok(bisect(0.0, hi, |e| log_delta(rho, e) > target).1)
}

/// The largest ρ (rounded down) whose zCDP guarantee implies (ε, δ)-DP.
pub fn rho_for_epsilon(epsilon: f64, delta: f64) -> Result<f64> {
    check_delta(delta)?;
    if !(epsilon > 0.0 && epsilon.is_finite()) {
        return Err(Error::invalid(format!("epsilon must be positive and finite, got {epsilon}")));
    }
    let target = delta.ln();
    Ok(bisect(0.0, epsilon + 1.0, |r| log_delta(r, epsilon) <= target).0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_safe() {
        for &(eps, delta) in &[(0.1, 1e-9), (1.0, 1e-6), (3.0, 1e-5), (10.0, 1e-3)] {
            let rho = rho_for_epsilon(eps, delta).unwrap();
            assert!(delta_for_epsilon(rho, eps).unwrap() <= delta * (1.0 + 1e-9));
            let back = epsilon_for_delta(rho, delta).unwrap();
            assert!(back <= eps + 1e-9 && back > eps - 1e-6, "{back} vs {eps}");
        }
    }

    #[test]
    fn tighter_than_the_classic_bound() {
        let (rho, delta) = (0.05f64, 1e-6f64);
        let classic = rho + 2.0 * (rho * (1.0 / delta).ln()).sqrt();
        let tight = epsilon_for_delta(rho, delta).unwrap();
        assert!(tight < classic);
        assert!(tight > 0.0);
    }

    #[test]
    fn known_value() {
        // Independently: ρ = 1/(2σ²) with σ = 1 gives ρ = 0.5; the CKS conversion at δ = 1e-5 is
        // ε ≈ 4.4 (vs 5.30 from the classic bound); check the bracket and monotonicity.
        let e1 = epsilon_for_delta(0.5, 1e-5).unwrap();
        let e2 = epsilon_for_delta(0.6, 1e-5).unwrap();
        assert!(e1 < e2);
        assert!(e1 > 3.5 && e1 < 5.3, "{e1}");
    }

    #[test]
    fn bad_inputs() {
        assert!(rho_for_epsilon(0.0, 1e-6).is_err());
        assert!(rho_for_epsilon(1.0, 0.0).is_err());
        assert!(rho_for_epsilon(1.0, 1.0).is_err());
        assert!(epsilon_for_delta(-1.0, 1e-6).is_err());
        assert!(gaussian_sigma(1.0, 0.0).is_err());
        assert!(gaussian_rho(1.0, 0.0).is_err());
    }
}
