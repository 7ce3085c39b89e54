//! The inverse problems: the noise a target (ε, δ) needs, and the number of steps it affords.
//!
//! Both keep a bracket whose safe end always satisfies the target, so the answer never exceeds
//! the budget: the noise returned spends at most ε (and is within a relative `rtol` of the
//! smallest that does), the step count returned spends at most ε (and one more step would not).

use super::mechanism::{validate, Component};
use super::pld::{self, PldOptions};
use super::rdp::{self, check_delta, RdpOptions};
use super::zcdp as z;
use crate::error::{Error, Result};

/// Which accountant answers a query.
#[derive(Clone, Debug)]
pub enum Accountant {
    Rdp(RdpOptions),
    Pld(PldOptions),
    Zcdp,
}

/// ε (rounded up) of a composition at δ.
pub fn epsilon(components: &[Component], delta: f64, accountant: &Accountant) -> Result<f64> {
    match accountant {
        Accountant::Rdp(o) => Ok(rdp::epsilon(components, delta, o)?.value),
        Accountant::Pld(o) => Ok(pld::epsilon(components, delta, o)?.value),
        Accountant::Zcdp => {
            check_delta(delta)?;
            z::epsilon_for_delta(super::mechanism::zcdp_rho(components)?, delta)
        }
    }
}

/// δ (rounded up) of a composition at ε.
pub fn delta(components: &[Component], epsilon: f64, accountant: &Accountant) -> Result<f64> {
    match accountant {
        Accountant::Rdp(o) => Ok(rdp::delta(components, epsilon, o)?.value),
        Accountant::Pld(o) => Ok(pld::delta(components, epsilon, o)?.value),
        Accountant::Zcdp => z::delta_for_epsilon(super::mechanism::zcdp_rho(components)?, epsilon),
    }
}

fn check_target(epsilon: f64, delta: f64) -> Result<()> {
    if !(epsilon > 0.0 && epsilon.is_finite()) {
        return Err(Error::invalid(format!("target epsilon must be positive and finite, got {epsilon}")));
    }
    check_delta(delta)
}

fn scaled(components: &[Component], s: f64) -> Vec<Component> {
    components.iter().map(|c| Component::new(c.mechanism.scale_noise(s), c.count)).collect()
}

/// The smallest factor `s` (within relative `rtol`, rounded up) such that multiplying every
/// Gaussian noise multiplier of the composition by `s` makes it (ε, δ)-DP.
pub fn noise_scale(components: &[Component], epsilon: f64, delta: f64, accountant: &Accountant, rtol: f64) -> Result<f64> {
    check_target(epsilon, delta)?;
    validate(components)?;
    if !(rtol > 0.0 && rtol < 1.0) {
        return Err(Error::invalid(format!("rtol must lie in (0, 1), got {rtol}")));
    }
    if !components.iter().any(|c| c.mechanism.has_gaussian_noise()) {
        return Err(Error::invalid(
            "the mechanism has no Gaussian noise to calibrate (calibrate the Laplace scale or ε of \
             the other mechanisms directly)",
        ));
    }
    if let Accountant::Zcdp = accountant {
        // ρ(s) = ρ_gauss/s² + ρ_other ≤ ρ_budget.
        let budget = z::rho_for_epsilon(epsilon, delta)?;
        let (mut gauss, mut other) = (0.0, 0.0);
        for c in components {
            let r = c.mechanism.zcdp_rho().ok_or_else(|| {
                Error::invalid(format!(
                    "the {} has no finite zCDP guarantee; use the RDP or PLD accountant",
                    c.mechanism.name()
                ))
            })? * c.count as f64;
            if c.mechanism.has_gaussian_noise() {
                gauss += r
            } else {
                other += r
            }
        }
        if other >= budget {
            return Err(unreachable(epsilon, delta));
        }
        return Ok((gauss / (budget - other)).sqrt() * (1.0 + 1e-12));
    }
    let f = |s: f64| -> Result<f64> { self::epsilon(&scaled(components, s), delta, accountant) };
    // Bracket: f(lo) > ε ≥ f(hi).
    let (mut lo, mut hi) = (1.0f64, 1.0f64);
    let mut f_hi = f(hi)?;
    let mut f_lo;
    if f_hi > epsilon {
        loop {
            lo = hi;
            f_lo = f_hi;
            hi *= 4.0;
            if hi > 1e12 {
                return Err(unreachable(epsilon, delta));
            }
            f_hi = f(hi)?;
            if f_hi <= epsilon {
                break;
            }
        }
    } else {
        loop {
            lo /= 4.0;
            if lo < 1e-12 {
                return Ok(hi);
            }
            f_lo = f(lo)?;
            if f_lo > epsilon {
                break;
            }
            hi = lo;
            f_hi = f_lo;
        }
    }
    // Illinois (regula falsi with halving) on ln s, bisecting where values are infinite.
    let (mut x_lo, mut x_hi) = (lo.ln(), hi.ln());
    let (mut g_lo, mut g_hi) = (f_lo - epsilon, f_hi - epsilon);
    let mut side = 0i32;
    for _ in 0..200 {
        if x_hi - x_lo <= rtol.ln_1p() {
            break;
        }
        let mut x = if g_lo.is_finite() && g_hi.is_finite() && g_lo != g_hi {
            x_hi - g_hi * (x_hi - x_lo) / (g_hi - g_lo)
        } else {
            0.5 * (x_lo + x_hi)
        };
        // Keep each step well inside the bracket.
        let w = x_hi - x_lo;
        x = x.clamp(x_lo + 0.01 * w, x_hi - 0.01 * w);
        let g = f(x.exp())? - epsilon;
        if g > 0.0 {
            x_lo = x;
            g_lo = g;
            if side == -1 {
                g_hi *= 0.5;
            }
            side = -1;
        } else {
            x_hi = x;
            g_hi = g;
            if side == 1 {
                g_lo *= 0.5;
            }
            side = 1;
        }
    }
    Ok(x_hi.exp())
}

fn unreachable(epsilon: f64, delta: f64) -> Error {
    Error::invalid(format!(
        "no amount of Gaussian noise reaches (ε = {epsilon}, δ = {delta}): the mechanisms without \
         Gaussian noise already spend more; raise the target or drop mechanisms"
    ))
}

/// The largest number of repetitions `T` of `step` such that `T × step` together with `fixed`
/// is (ε, δ)-DP (0 when even one step is not). Capped at 2^53.
pub fn max_count(step: &[Component], fixed: &[Component], epsilon: f64, delta: f64, accountant: &Accountant) -> Result<u64> {
    check_target(epsilon, delta)?;
    if step.is_empty() {
        return Err(Error::invalid("the mechanism to repeat must not be empty"));
    }
    let mut all = step.to_vec();
    all.extend_from_slice(fixed);
    validate(&all)?;
    const CAP: u64 = 1 << 53;
    match accountant {
        Accountant::Zcdp => {
            let budget = z::rho_for_epsilon(epsilon, delta)?;
            let per = super::mechanism::zcdp_rho(step)?;
            let base = if fixed.is_empty() { 0.0 } else { super::mechanism::zcdp_rho(fixed)? };
            if base > budget {
                return Ok(0);
            }
            let t = ((budget - base) / per).floor();
            // Guard against rounding: step back until the composition fits.
            let mut t = if t.is_finite() { (t as u64).min(CAP) } else { CAP };
            while t > 0 && base + per * t as f64 > budget {
                t -= 1;
            }
            Ok(t)
        }
        Accountant::Rdp(o) => {
            let step_curve = rdp::Curve::new(step, o)?;
            let fixed_curve = if fixed.is_empty() { None } else { Some(rdp::Curve::new(fixed, o)?) };
            // Pure-DP mechanisms: basic composition is valid too.
            let pure = super::mechanism::pure_epsilon(step)
                .zip(if fixed.is_empty() { Some(0.0) } else { super::mechanism::pure_epsilon(fixed) });
            let f = |t: u64| {
                let e = step_curve.epsilon(t as f64, fixed_curve.as_ref().map(|c| c.k.as_slice()), delta);
                pure.map_or(e, |(s, f)| e.min(s * t as f64 + f))
            };
            search_count(|t| Some(f(t)), epsilon, CAP)
        }
        Accountant::Pld(o) => {
            let r = pld::Repeatable::new(step, fixed, o)?;
            search_count(|t| r.epsilon(t, delta), epsilon, CAP)
        }
    }
}

/// Largest `t ≤ cap` with `f(t) ≤ target`, for `f` non-decreasing; `None` counts as too many.
fn search_count(f: impl Fn(u64) -> Option<f64>, target: f64, cap: u64) -> Result<u64> {
    let ok = |t: u64| f(t).is_some_and(|e| e <= target);
    if !ok(1) {
        return Ok(0);
    }
    let mut lo = 1u64;
    let mut hi = 2u64;
    while ok(hi) {
        lo = hi;
        if hi >= cap {
            return Ok(cap);
        }
        hi = hi.saturating_mul(2).min(cap);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounting::Mechanism;

    fn dpsgd(z: f64, q: f64, steps: u64) -> Vec<Component> {
        vec![Component::new(Mechanism::PoissonGaussian { noise_multiplier: z, sample_rate: q }, steps)]
    }

    #[test]
    fn calibrated_noise_meets_the_target_and_no_more() {
        let base = dpsgd(1.0, 256.0 / 60000.0, 14040);
        for acct in [Accountant::Rdp(RdpOptions::default()), Accountant::Zcdp] {
            let comp = if let Accountant::Zcdp = acct {
                vec![Component::new(Mechanism::Gaussian { noise_multiplier: 1.0 }, 100)]
            } else {
                base.clone()
            };
            for &target in &[0.5, 1.0, 3.0, 8.0] {
                let s = noise_scale(&comp, target, 1e-5, &acct, 1e-6).unwrap();
                let e = epsilon(&scaled(&comp, s), 1e-5, &acct).unwrap();
                assert!(e <= target, "{acct:?} {target}: {e}");
                let e_less = epsilon(&scaled(&comp, s * (1.0 - 1e-4)), 1e-5, &acct).unwrap();
                assert!(e_less > target, "{acct:?} {target}: not tight, {e_less}");
            }
        }
    }

    #[test]
    fn opacus_reference_calibration() {
        // opacus get_noise_multiplier(ε=2, δ=1e-5, q=256/60000, 14040 steps) = 1.2988 (ε tolerance 0.01).
        let s = noise_scale(&dpsgd(1.0, 256.0 / 60000.0, 14040), 2.0, 1e-5, &Accountant::Rdp(RdpOptions::default()), 1e-6).unwrap();
        assert!(s <= 1.2989 && s > 1.28, "{s}");
    }

    #[test]
    fn steps_for_a_target() {
        let step = dpsgd(1.1, 256.0 / 60000.0, 1);
        let acct = Accountant::Rdp(RdpOptions::default());
        let t = max_count(&step, &[], 2.594363354953112, 1e-5, &acct).unwrap();
        assert!(t >= 14040, "{t}");
        let e = epsilon(&dpsgd(1.1, 256.0 / 60000.0, t), 1e-5, &acct).unwrap();
        let e1 = epsilon(&dpsgd(1.1, 256.0 / 60000.0, t + 1), 1e-5, &acct).unwrap();
        assert!(e <= 2.594363354953112 && e1 > 2.594363354953112);
        let g = [Component::new(Mechanism::Gaussian { noise_multiplier: 10.0 }, 1)];
        let tz = max_count(&g, &[], 1.0, 1e-6, &Accountant::Zcdp).unwrap();
        let rho = z::rho_for_epsilon(1.0, 1e-6).unwrap();
        assert_eq!(tz, (rho / 0.005).floor() as u64);
        assert_eq!(max_count(&step, &[], 1e-6, 1e-5, &acct).unwrap(), 0);
    }

    #[test]
    fn unreachable_targets_are_errors() {
        let comp = vec![
            Component::new(Mechanism::Laplace { epsilon: 5.0 }, 1),
            Component::new(Mechanism::Gaussian { noise_multiplier: 1.0 }, 1),
        ];
        assert!(noise_scale(&comp, 1.0, 1e-5, &Accountant::Rdp(RdpOptions::default()), 1e-6).is_err());
        assert!(noise_scale(&comp, 1.0, 1e-5, &Accountant::Zcdp, 1e-6).is_err());
        let lap = [Component::new(Mechanism::Laplace { epsilon: 0.5 }, 1)];
        assert!(noise_scale(&lap, 1.0, 1e-5, &Accountant::Zcdp, 1e-6).is_err());
    }
}
