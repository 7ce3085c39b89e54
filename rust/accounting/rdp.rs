//! Rényi DP: per-mechanism RDP curves, composition, and the conversion to (ε, δ).
//!
//! Every mechanism is described by its log-moment `K(α) = (α − 1)·D_α(P‖Q)` for the worst pair
//! of neighbouring inputs; composition adds the `K`s. The conversion is Balle et al. (2020),
//! Theorem 21 (also Asoodeh et al. 2020):
//!
//! ```text
//!   ε(α) = D_α + log((α − 1)/α) − (log δ + log α)/(α − 1),   clamped at ε ≥ 0,
//!   log δ(α) = K(α) − (α − 1)ε + (α − 1)·log(1 − 1/α) − log α,
//! ```
//! minimised over the orders α of a grid (optionally refined by a golden-section search).
//!
//! # The subsampled Gaussian (Mironov, Talwar & Zhang 2019)
//! With `μ₀ = N(0, σ²)`, `μ₁ = N(1, σ²)` and `μ = (1 − q)μ₀ + qμ₁`, the RDP is `log A_α/(α − 1)`,
//! `A_α = E_{μ₀}[(μ/μ₀)^α]`. For integer α, `A_α = Σᵢ C(α,i) qⁱ(1−q)^{α−i} exp((i² − i)/(2σ²))`,
//! a sum of positive terms, added in log space. For fractional α the integral is split at
//! `z₀ = σ² log(1/q − 1) + ½` and each half expanded binomially; from `i > α + 1` the terms
//! alternate in sign, so once they decrease the remainder is bounded by the last term, which is
//! added (the value is rounded up, never truncated down).
//!
//! # Sampling without replacement (Wang, Balle & Kasiviswanathan 2019, Theorem 27)
//! The bound at integer α uses the even central moments `B(ℓ) = E[(Y − 1)^ℓ]` of the Gaussian
//! likelihood ratio `Y`; they are computed as an alternating binomial sum with a rounding-error
//! bound when that sum is well conditioned, and otherwise by a trapezoidal rule (exponentially
//! accurate for this entire integrand), both rounded up. Fractional orders interpolate
//! `(α − 1)ε(α)` linearly between the neighbouring integers (their Corollary 10).
//!
//! # The grid search
//! Every exact `K` is convex in α with `K(1) = 0` (a log moment generating function; sup of
//! such for the bounded-range mechanism), so secants through computed orders bound `K` below at
//! every other order. The search computes cheap integer orders first, then only the orders whose
//! lower bound could still beat the best value; the result is the minimum over the whole grid,
//! certified, at a fraction of the cost. Compositions with a sampling-without-replacement bound
//! (not a log-moment) evaluate every order.

use super::mechanism::{canonical, validate, Component, Mechanism};
use super::special::{bisect, log_add, log_erfc, log_expm1, log_sum_exp, SignedLogSum};
use crate::error::{Error, Result};
use std::f64::consts::{LN_2, SQRT_2};
use std::sync::OnceLock;

/// The default orders: the union of opacus' and dp_accounting's grids (1.1 … 10.9 by 0.1,
/// 11 … 63, 128, 256, 512, 1024) with the gaps above 63 filled and larger orders for small ε.
pub fn default_orders() -> Vec<f64> {
    let mut v: Vec<f64> = (1..100).map(|x| 1.0 + x as f64 / 10.0).collect();
    v.extend((11..64).map(|x| x as f64));
    v.extend(
        [
            64, 72, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024,
            1280, 1536, 2048, 3072, 4096,
        ]
        .iter()
        .map(|&x| x as f64),
    );
    v
}

const LN_FACT_TABLE: usize = 8192;

fn ln_fact_table() -> &'static [f64] {
    static TABLE: OnceLock<Vec<f64>> = OnceLock::new();
    TABLE.get_or_init(|| (0..LN_FACT_TABLE).map(|k| super::special::lgamma(k as f64 + 1.0).0).collect())
}

#[inline]
fn ln_fact(n: u64) -> f64 {
    let t = ln_fact_table();
    if (n as usize) < t.len() {
        t[n as usize]
    } else {
        super::special::lgamma(n as f64 + 1.0).0
    }
}

#[inline]
fn ln_binom(n: u64, k: u64) -> f64 {
    ln_fact(n) - ln_fact(k) - ln_fact(n - k)
}

/// `log A_α` of the Poisson-subsampled Gaussian at an integer order.
///
/// `log C(α, i)` is accumulated term by term with Neumaier-compensated sums (differences of
/// `log k!` would lose twelve digits at α = 1024).
pub fn sampled_gaussian_log_a_int(q: f64, sigma: f64, alpha: u64) -> f64 {
    if alpha <= 1 {
        return 0.0;
    }
    let c = 0.5 / (sigma * sigma);
    let (lq, l1q) = (q.ln(), (-q).ln_1p());
    let mut terms = Vec::with_capacity(alpha as usize + 1);
    let (mut ln_c, mut comp) = (0.0f64, 0.0f64); // log C(α, i) = ln_c + comp
    for i in 0..=alpha {
        let fi = i as f64;
        terms.push((ln_c + comp) + fi * lq + (alpha - i) as f64 * l1q + (fi * fi - fi) * c);
        if i < alpha {
            let d = ((alpha - i) as f64).ln() - (fi + 1.0).ln();
            let t = ln_c + d;
            comp += if ln_c.abs() >= d.abs() { (ln_c - t) + d } else { (d - t) + ln_c };
            ln_c = t;
        }
    }
    let m = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    // Terms below e^-60 of the largest are not exponentiated; their sum is bounded and added.
    let (mut s, mut skipped) = (0.0, 0u64);
    for &t in &terms {
        let d = t - m;
        if d > -60.0 {
            s += d.exp();
        } else {
            skipped += 1;
        }
    }
    s += skipped as f64 * (-60.0f64).exp();
    m + s.ln()
}

/// `log A_α` of the Poisson-subsampled Gaussian at a fractional order (rounded up).
pub fn sampled_gaussian_log_a_frac(q: f64, sigma: f64, alpha: f64) -> f64 {
    let c = 0.5 / (sigma * sigma);
    let (lq, l1q) = (q.ln(), (-q).ln_1p());
    let z0 = sigma * sigma * (l1q - lq) + 0.5;
    let scale = 1.0 / (SQRT_2 * sigma);
    let log_half_erfc = |x: f64| {
        if x < -6.5 {
            0.0 // ½·erfc(x) = 1 − O(1e-20)
        } else {
            log_erfc(x) - LN_2
        }
    };
    let mut sum = SignedLogSum::default();
    let mut ln_coef = 0.0; // log |C(α, i)|
    let mut positive = true;
    let (mut prev0, mut prev1) = (f64::INFINITY, f64::INFINITY);
    let max_terms = 2_000_000u32;
    for step in 0..max_terms {
        let i = step as f64;
        let j = alpha - i;
        let s0 = ln_coef + i * lq + j * l1q + (i * i - i) * c + log_half_erfc((i - z0) * scale);
        let s1 = ln_coef + j * lq + i * l1q + (j * j - j) * c + log_half_erfc((z0 - j) * scale);
        if s0.is_nan() || s1.is_nan() {
            return f64::INFINITY;
        }
        sum.add(log_add(s0, s1), positive);
        let total = sum.pos;
        let decreasing = (s0 < prev0 || s0 == f64::NEG_INFINITY) && (s1 < prev1 || s1 == f64::NEG_INFINITY);
        if i > alpha + 1.0 && decreasing && s0.max(s1) < total - 36.0 {
            // Alternating tail with decreasing terms: bounded by the next term, itself smaller
            // than this one; add this one's magnitude to round up.
            sum.add(log_add(s0, s1), true);
            let v = sum.value();
            return if v.is_nan() { f64::INFINITY } else { v.max(0.0) };
        }
        prev0 = s0;
        prev1 = s1;
        // C(α, i+1) = C(α, i)·(α − i)/(i + 1)
        let f = alpha - i;
        ln_coef += f.abs().ln() - (i + 1.0).ln();
        if f < 0.0 {
            positive = !positive;
        }
        if f == 0.0 {
            break; // α was an integer after all: the series is finite
        }
    }
    let v = sum.value();
    if v.is_finite() && alpha.fract() == 0.0 {
        v.max(0.0)
    } else {
        f64::INFINITY // did not converge: the safe answer
    }
}

/// `log A_α` of the Poisson-subsampled Gaussian at any order `α > 1`.
pub fn sampled_gaussian_log_a(q: f64, sigma: f64, alpha: f64) -> f64 {
    if q >= 1.0 {
        return alpha * (alpha - 1.0) * 0.5 / (sigma * sigma);
    }
    if alpha.fract() == 0.0 && alpha <= 1e7 {
        sampled_gaussian_log_a_int(q, sigma, alpha as u64)
    } else {
        sampled_gaussian_log_a_frac(q, sigma, alpha)
    }
}

/// Log-moment of the Laplace mechanism (Mironov 2017, Table II).
fn laplace_log_moment(eps: f64, alpha: f64) -> f64 {
    let d = 2.0 * alpha - 1.0;
    log_add((alpha / d).ln() + (alpha - 1.0) * eps, ((alpha - 1.0) / d).ln() - alpha * eps)
}

/// Log-moment of k-ary randomised response.
fn rr_log_moment(eps: f64, k: u32, alpha: f64) -> f64 {
    let mut terms = [alpha * eps, (1.0 - alpha) * eps, f64::NEG_INFINITY];
    if k > 2 {
        terms[2] = ((k - 2) as f64).ln();
    }
    let norm = log_add(eps, ((k - 1) as f64).ln());
    log_sum_exp(&terms) - norm
}

/// `Σ_{k≥2} (−1)^{k+1}(α^k − α) x^k / k!`, i.e. `(1 − e^{−αx}) − α(1 − e^{−x})`, for small `αx`.
fn br_numerator_series(alpha: f64, x: f64) -> f64 {
    let (mut s, mut xk, mut ak, mut fact) = (0.0, x, alpha, 1.0);
    for k in 2..40 {
        xk *= x;
        ak *= alpha;
        fact *= k as f64;
        let t = (ak - alpha) * xk / fact;
        s += if k % 2 == 0 { -t } else { t };
        if t.abs() < 1e-18 * s.abs() {
            break;
        }
    }
    s
}

/// Log-moment of an ε-bounded-range mechanism: the supremum over the two-point pairs whose
/// privacy loss lies in `[t − ε, t]`, attained at a closed-form mixing weight.
fn br_log_moment(eps: f64, alpha: f64) -> f64 {
    let a_ = -(-eps).exp_m1(); // 1 − e^{−ε}
    let b_ = -(-alpha * eps).exp_m1(); // 1 − e^{−αε}
    // p* = [(1−b)a − α(1−a)b] / [(α−1)(1−a)(1−b)] with a = e^{−ε}, b = e^{−αε};
    // numerator = (B − αA) + AB(α − 1) with A = 1 − a, B = 1 − b.
    let first = if alpha * eps < 0.5 { br_numerator_series(alpha, eps) } else { b_ - alpha * a_ };
    let num = first + a_ * b_ * (alpha - 1.0);
    let p = (num / ((alpha - 1.0) * a_ * b_)).clamp(0.0, 1.0);
    let f = |p: f64| (-b_ * (1.0 - p)).ln_1p() - alpha * (-a_ * (1.0 - p)).ln_1p();
    // The objective is flat at p*; evaluate its neighbourhood too so rounding in p* cannot lower it.
    let h = 1e-7 * p.max(1e-300);
    f(p).max(f((p - h).max(0.0))).max(f((p + h).min(1.0))).max(0.0)
}

/// Even central moments `B(ℓ) = E[(Y − 1)^ℓ]` of the Gaussian likelihood ratio
/// `Y = exp(Z/σ − 1/(2σ²))`, cached per σ, as logs rounded up.
struct WorMoments {
    sigma: f64,
    log_b: Vec<f64>, // index ℓ (even), NaN when not yet computed
}

const WOR_MAX_MOMENT: usize = 256;

impl WorMoments {
    fn new(sigma: f64) -> Self {
        WorMoments { sigma, log_b: vec![f64::NAN; WOR_MAX_MOMENT + 1] }
    }

    fn log_b(&mut self, l: usize) -> f64 {
        if self.log_b[l].is_nan() {
            self.log_b[l] = wor_log_central_moment(self.sigma, l as u64);
        }
        self.log_b[l]
    }
}

/// `log E[(Y − 1)^ℓ]` for even ℓ, rounded up.
fn wor_log_central_moment(sigma: f64, l: u64) -> f64 {
    let c = 0.5 / (sigma * sigma);
    // Binomial form Σ_k C(ℓ,k)(−1)^{ℓ−k} E[Y^k], E[Y^k] = exp(k(k−1)c), with a rounding bound.
    let logs: Vec<f64> = (0..=l).map(|k| ln_binom(l, k) + (k * k - k) as f64 * c).collect();
    let m = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    let mut s = 0.0;
    for (k, &lg) in logs.iter().enumerate() {
        let t = (lg - m).exp();
        s += if (l - k as u64) % 2 == 0 { t } else { -t };
    }
    let err = (l as f64 + 1.0) * (l as f64 + 4.0) * f64::EPSILON;
    if s - err > 0.0 && err <= 1e-10 * s {
        return m + (s + err).ln();
    }
    // Trapezoidal rule for ∫ φ(z)(e^{sz − s²/2} − 1)^ℓ dz, whose log is concave on either side of
    // z* = s/2 with curvature ≤ −1: both humps lie within 10 of their peaks (a drop of 50).
    let s_ = 1.0 / sigma;
    let lf = l as f64;
    let g = |z: f64| {
        let u = s_ * z - 0.5 * s_ * s_;
        let lu = if u > 0.0 {
            log_expm1(u)
        } else if u < 0.0 {
            super::special::log1mexp(u)
        } else {
            f64::NEG_INFINITY
        };
        -0.5 * z * z + lf * lu
    };
    let curvature = |z: f64| {
        let u = s_ * z - 0.5 * s_ * s_;
        let e = u.exp();
        1.0 + lf * s_ * s_ * e / ((e - 1.0) * (e - 1.0))
    };
    let slope = |z: f64| {
        let u = s_ * z - 0.5 * s_ * s_;
        -z + lf * s_ / (-(-u).exp_m1())
    };
    let zs = 0.5 * s_;
    // Peak right of z*: slope decreases from +∞ to −∞.
    let mut hi = zs + 1.0;
    while slope(hi) > 0.0 {
        hi = zs + 2.0 * (hi - zs);
    }
    let (lo, hi) = bisect(zs + 1e-12, hi, |z| slope(z) > 0.0);
    let z2 = 0.5 * (lo + hi);
    let mut lo = zs - 1.0;
    while slope(lo) < 0.0 {
        lo = zs - 2.0 * (zs - lo);
    }
    let (lo, hi) = bisect(lo, zs - 1e-12, |z| slope(z) > 0.0);
    let z1 = 0.5 * (lo + hi);
    let h = (0.25 / curvature(z1).max(curvature(z2)).sqrt()).min(0.1);
    let (a, b) = (z1 - 11.0, z2 + 11.0);
    let n = ((b - a) / h).ceil() as usize;
    let samples: Vec<f64> = (0..=n).map(|i| g(a + i as f64 * h)).collect();
    let log_int = log_sum_exp(&samples) + h.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
    log_int + 1e-9
}

/// `log A_α` of the WBK bound at an integer order.
fn wor_log_a_int(q: f64, moments: &mut WorMoments, alpha: u64) -> f64 {
    if alpha <= 1 {
        return 0.0;
    }
    let sigma = moments.sigma;
    let c = 0.5 / (sigma * sigma);
    let lq = q.ln();
    let mut terms = Vec::with_capacity(alpha as usize);
    terms.push(0.0);
    let eps2 = 2.0 * c;
    terms.push(ln_binom(alpha, 2) + 2.0 * lq + (2.0f64.ln() * 2.0 + log_expm1(eps2)).min(eps2 + LN_2));
    for i in 3..=alpha {
        let direct = LN_2 + ((i - 1) * i) as f64 * c;
        let moment = if (i as usize) <= WOR_MAX_MOMENT {
            let (lo, hi) = (2 * (i / 2), 2 * i.div_ceil(2));
            let (blo, bhi) = (moments.log_b(lo as usize), moments.log_b((hi as usize).min(WOR_MAX_MOMENT)));
            if (hi as usize) <= WOR_MAX_MOMENT {
                2.0 * LN_2 + 0.5 * (blo + bhi)
            } else {
                f64::INFINITY
            }
        } else {
            f64::INFINITY
        };
        terms.push(ln_binom(alpha, i) + i as f64 * lq + direct.min(moment));
    }
    log_sum_exp(&terms)
}

fn wor_log_moment(q: f64, moments: &mut WorMoments, alpha: f64) -> f64 {
    if q >= 1.0 {
        let s = moments.sigma;
        return alpha * (alpha - 1.0) * 0.5 / (s * s);
    }
    if alpha.fract() == 0.0 {
        return wor_log_a_int(q, moments, alpha as u64);
    }
    let (f, cl) = (alpha.floor(), alpha.ceil());
    let t = alpha - f;
    let x = wor_log_a_int(q, moments, f as u64);
    let y = wor_log_a_int(q, moments, cl as u64);
    (1.0 - t) * x + t * y
}

/// Evaluates `K(α)` of a (validated, canonical) composition.
pub struct LogMoments {
    components: Vec<Component>,
    wor: Vec<Option<WorMoments>>,
    /// Whether every component's `K` is a convex log-moment with `K(1) = 0`.
    pub convex: bool,
}

impl LogMoments {
    pub fn new(components: &[Component]) -> Result<Self> {
        validate(components)?;
        let components = canonical(components);
        let wor = components
            .iter()
            .map(|c| match c.mechanism {
                Mechanism::WorGaussian { noise_multiplier, sample_rate } if sample_rate < 1.0 => {
                    Some(WorMoments::new(noise_multiplier))
                }
                _ => None,
            })
            .collect::<Vec<_>>();
        let convex = wor.iter().all(Option::is_none);
        Ok(LogMoments { components, wor, convex })
    }

    /// `K(α) = (α − 1)·D_α` of the whole composition; `+∞` on overflow, never NaN.
    pub fn k(&mut self, alpha: f64) -> f64 {
        let mut total = 0.0;
        for (c, wor) in self.components.iter().zip(self.wor.iter_mut()) {
            let k = match c.mechanism {
                Mechanism::Gaussian { noise_multiplier: z } => alpha * (alpha - 1.0) * 0.5 / (z * z),
                Mechanism::Laplace { epsilon } => laplace_log_moment(epsilon, alpha),
                Mechanism::RandomizedResponse { epsilon, categories } => rr_log_moment(epsilon, categories, alpha),
                Mechanism::Exponential { epsilon } => br_log_moment(epsilon, alpha),
                Mechanism::PoissonGaussian { noise_multiplier, sample_rate } => {
                    sampled_gaussian_log_a(sample_rate, noise_multiplier, alpha)
                }
                Mechanism::WorGaussian { noise_multiplier, sample_rate } => match wor {
                    Some(m) => wor_log_moment(sample_rate, m, alpha),
                    None => alpha * (alpha - 1.0) * 0.5 / (noise_multiplier * noise_multiplier),
                },
            };
            let k = if k.is_nan() { f64::INFINITY } else { k.max(0.0) };
            total += k * c.count as f64;
        }
        if total.is_nan() {
            f64::INFINITY
        } else {
            total
        }
    }
}

/// Options of an RDP query.
#[derive(Clone, Debug, Default)]
pub struct RdpOptions {
    /// The orders to search; `None` for [`default_orders`].
    pub orders: Option<Vec<f64>>,
    /// Refine the best order with a golden-section search between its neighbours.
    pub refine: bool,
}

/// The answer of an RDP query: ε (or δ) and the order that gave it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RdpAnswer {
    pub value: f64,
    /// `None` when the composition has infinite RDP at every order.
    pub order: Option<f64>,
}

fn checked_orders(orders: &Option<Vec<f64>>) -> Result<Vec<f64>> {
    let mut v = match orders {
        Some(o) => o.clone(),
        None => return Ok(default_orders()),
    };
    if v.is_empty() {
        return Err(Error::invalid("orders must not be empty"));
    }
    for &a in &v {
        if !(a > 1.0 && a.is_finite()) {
            return Err(Error::invalid(format!(
                "every RDP order must be finite and greater than 1, got {a}"
            )));
        }
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v.dedup();
    Ok(v)
}

/// Lower bounds on a convex `K` with `K(1) = 0` from the orders computed so far.
struct Known {
    pts: Vec<(f64, f64)>,
}

impl Known {
    fn new() -> Self {
        Known { pts: vec![(1.0, 0.0)] }
    }

    fn insert(&mut self, a: f64, k: f64) {
        let j = self.pts.partition_point(|p| p.0 < a);
        if j < self.pts.len() && self.pts[j].0 == a {
            return;
        }
        self.pts.insert(j, (a, k));
    }

    fn lower_bound(&self, a: f64) -> f64 {
        let p = &self.pts;
        let j = p.partition_point(|x| x.0 < a);
        let mut lb: f64 = 0.0;
        if j >= 1 && p[j - 1].1 == f64::INFINITY {
            return f64::INFINITY; // RDP is non-decreasing in α
        }
        if j >= 2 {
            let ((a1, k1), (a2, k2)) = (p[j - 2], p[j - 1]);
            lb = lb.max(k2 + (a - a2) * (k2 - k1) / (a2 - a1));
        }
        if j + 1 < p.len() {
            let ((a3, k3), (a4, k4)) = (p[j], p[j + 1]);
            if k3.is_finite() && k4.is_finite() {
                lb = lb.max(k3 - (a3 - a) * (k4 - k3) / (a4 - a3));
            }
        }
        // Slack for the rounding in the computed K's.
        lb * (1.0 - 1e-11)
    }
}

/// Minimises `objective(α, K(α))` (increasing in `K`) over `orders`.
fn minimise(
    lm: &mut LogMoments,
    orders: &[f64],
    refine: bool,
    objective: &dyn Fn(f64, f64) -> f64,
) -> (f64, Option<f64>) {
    let mut best = f64::INFINITY;
    let mut best_order: Option<f64> = None;
    let consider = |a: f64, k: f64, best: &mut f64, best_order: &mut Option<f64>| {
        let v = objective(a, k);
        if v < *best {
            *best = v;
            *best_order = Some(a);
        }
    };
    let mut known = Known::new();
    if !lm.convex {
        for &a in orders {
            let k = lm.k(a);
            known.insert(a, k);
            consider(a, k, &mut best, &mut best_order);
        }
    } else {
        let max_order = *orders.last().unwrap();
        let min_order = orders[0];
        // Seeds: cheap integer orders on a geometric ladder, while they can still help.
        let mut s = 2.0f64;
        while s <= max_order {
            if s >= min_order.floor() && objective(s, known.lower_bound(s)) < best {
                let k = lm.k(s);
                known.insert(s, k);
                // Seeds off the grid only inform the bounds; the answer stays on the grid.
                if orders.binary_search_by(|a| a.partial_cmp(&s).unwrap_or(std::cmp::Ordering::Less)).is_ok() {
                    consider(s, k, &mut best, &mut best_order);
                }
            }
            s = if s < 4.0 { s + 1.0 } else { (s * 1.5).round() };
        }
        // Best-first over the grid, skipping every order whose lower bound cannot win.
        let mut done = vec![false; orders.len()];
        let mut lbs: Vec<f64> = orders.iter().map(|&a| objective(a, known.lower_bound(a))).collect();
        for (i, &a) in orders.iter().enumerate() {
            if known.pts.iter().any(|p| p.0 == a) {
                done[i] = true;
            }
        }
        loop {
            let mut pick = None;
            let mut pick_lb = f64::INFINITY;
            for i in 0..orders.len() {
                if !done[i] && lbs[i] < pick_lb {
                    pick_lb = lbs[i];
                    pick = Some(i);
                }
            }
            let Some(i) = pick else { break };
            if pick_lb >= best {
                break;
            }
            let a = orders[i];
            let k = lm.k(a);
            done[i] = true;
            known.insert(a, k);
            consider(a, k, &mut best, &mut best_order);
            // Only orders whose two neighbours on either side changed need a new bound.
            let j = known.pts.partition_point(|p| p.0 < a);
            let lo = known.pts[j.saturating_sub(2)].0;
            let hi = known.pts.get(j + 2).map_or(f64::INFINITY, |p| p.0);
            for (t, &b) in orders.iter().enumerate() {
                if !done[t] && b > lo && b < hi {
                    lbs[t] = objective(b, known.lower_bound(b));
                }
            }
        }
    }
    if refine {
        if let Some(a0) = best_order {
            let j = known.pts.partition_point(|p| p.0 < a0);
            let left = if j >= 1 { known.pts[j - 1].0 } else { 1.0 };
            let right = known.pts.get(j + 1).map_or(a0 * 2.0, |p| p.0);
            let (mut lo, mut hi) = (left.max(1.0 + 1e-9), right);
            let g = (5f64.sqrt() - 1.0) / 2.0;
            let mut x1 = hi - g * (hi - lo);
            let mut x2 = lo + g * (hi - lo);
            let mut f1 = objective(x1, lm.k(x1));
            let mut f2 = objective(x2, lm.k(x2));
            consider(x1, lm.k(x1), &mut best, &mut best_order);
            consider(x2, lm.k(x2), &mut best, &mut best_order);
            for _ in 0..40 {
                if (hi - lo) < 1e-6 * lo {
                    break;
                }
                if f1 < f2 {
                    hi = x2;
                    x2 = x1;
                    f2 = f1;
                    x1 = hi - g * (hi - lo);
                    let k = lm.k(x1);
                    f1 = objective(x1, k);
                    consider(x1, k, &mut best, &mut best_order);
                } else {
                    lo = x1;
                    x1 = x2;
                    f1 = f2;
                    x2 = lo + g * (hi - lo);
                    let k = lm.k(x2);
                    f2 = objective(x2, k);
                    consider(x2, k, &mut best, &mut best_order);
                }
            }
        }
    }
    (best, best_order)
}

pub(crate) fn check_delta(delta: f64) -> Result<()> {
    if delta > 0.0 && delta < 1.0 {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "delta must lie in (0, 1), got {delta}; 1/n² or smaller for n records is usual"
        )))
    }
}

pub(crate) fn check_epsilon(epsilon: f64) -> Result<()> {
    if epsilon >= 0.0 && epsilon.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(format!("epsilon must be non-negative and finite, got {epsilon}")))
    }
}

/// The ε objective of the Balle et al. conversion at order α.
#[inline]
pub fn epsilon_at(alpha: f64, k: f64, log_delta: f64) -> f64 {
    if k == f64::INFINITY {
        return f64::INFINITY;
    }
    k / (alpha - 1.0) + (-1.0 / alpha).ln_1p() - (log_delta + alpha.ln()) / (alpha - 1.0)
}

/// The log δ objective of the Balle et al. conversion at order α.
#[inline]
pub fn log_delta_at(alpha: f64, k: f64, epsilon: f64) -> f64 {
    if k == f64::INFINITY {
        return f64::INFINITY;
    }
    k - (alpha - 1.0) * epsilon + (alpha - 1.0) * (-1.0 / alpha).ln_1p() - alpha.ln()
}

/// The smallest ε (over the orders) at which the composition is (ε, δ)-DP.
pub fn epsilon(components: &[Component], delta: f64, options: &RdpOptions) -> Result<RdpAnswer> {
    check_delta(delta)?;
    let orders = checked_orders(&options.orders)?;
    let mut lm = LogMoments::new(components)?;
    let ld = delta.ln();
    let (best, order) = minimise(&mut lm, &orders, options.refine, &|a, k| epsilon_at(a, k, ld));
    // Pure-DP compositions: basic composition is also valid and sometimes smaller.
    if let Some(pure) = super::mechanism::pure_epsilon(components) {
        if pure < best {
            return Ok(RdpAnswer { value: pure, order: None });
        }
    }
    Ok(RdpAnswer { value: best.max(0.0), order: order.filter(|_| best.is_finite()) })
}

/// The smallest δ (over the orders) at which the composition is (ε, δ)-DP.
pub fn delta(components: &[Component], epsilon: f64, options: &RdpOptions) -> Result<RdpAnswer> {
    check_epsilon(epsilon)?;
    let orders = checked_orders(&options.orders)?;
    let mut lm = LogMoments::new(components)?;
    // Pure-DP compositions are (ε, 0)-DP from their basic-composition ε on, as `epsilon` says.
    if super::mechanism::pure_epsilon(components).is_some_and(|pure| pure <= epsilon) {
        return Ok(RdpAnswer { value: 0.0, order: None });
    }
    let (best, order) = minimise(&mut lm, &orders, options.refine, &|a, k| log_delta_at(a, k, epsilon));
    Ok(RdpAnswer { value: best.exp().min(1.0), order: order.filter(|_| best.is_finite()) })
}

/// The RDP `D_α` of the composition at every order (not sorted, not deduplicated).
pub fn curve(components: &[Component], orders: &[f64]) -> Result<Vec<f64>> {
    checked_orders(&Some(orders.to_vec()))?;
    let mut lm = LogMoments::new(components)?;
    Ok(orders.iter().map(|&a| lm.k(a) / (a - 1.0)).collect())
}

/// The RDP curve of one step, reusable for every number of steps (used by the step search).
pub struct Curve {
    pub orders: Vec<f64>,
    pub k: Vec<f64>,
}

impl Curve {
    pub fn new(components: &[Component], options: &RdpOptions) -> Result<Self> {
        let orders = checked_orders(&options.orders)?;
        let mut lm = LogMoments::new(components)?;
        let k = orders.iter().map(|&a| lm.k(a)).collect();
        Ok(Curve { orders, k })
    }

    /// ε after `count` repetitions plus a fixed curve `extra` (same orders) at δ.
    pub fn epsilon(&self, count: f64, extra: Option<&[f64]>, delta: f64) -> f64 {
        let ld = delta.ln();
        let mut best = f64::INFINITY;
        for (i, (&a, &k)) in self.orders.iter().zip(&self.k).enumerate() {
            let total = k * count + extra.map_or(0.0, |e| e[i]);
            best = best.min(epsilon_at(a, total, ld));
        }
        best.max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dpsgd(z: f64, q: f64, steps: u64) -> Vec<Component> {
        vec![Component::new(Mechanism::PoissonGaussian { noise_multiplier: z, sample_rate: q }, steps)]
    }

    #[test]
    fn dpsgd_reference_point_matches_opacus() {
        // opacus 1.6 RDPAccountant: 2.594363354953112 at its default orders.
        let r = epsilon(&dpsgd(1.1, 256.0 / 60000.0, 14040), 1e-5, &RdpOptions::default()).unwrap();
        assert!(r.value <= 2.594363354953112 + 1e-9, "{r:?}");
        assert!(r.value > 2.55, "{r:?}");
        let refined = epsilon(
            &dpsgd(1.1, 256.0 / 60000.0, 14040),
            1e-5,
            &RdpOptions { orders: None, refine: true },
        )
        .unwrap();
        assert!(refined.value <= r.value);
    }

    #[test]
    fn answers_stay_on_the_given_orders() {
        let c = dpsgd(1.1, 256.0 / 60000.0, 14040);
        for orders in [vec![100.0, 200.0], vec![1.5, 7.25, 33.0], vec![2.0]] {
            let r = epsilon(&c, 1e-5, &RdpOptions { orders: Some(orders.clone()), refine: false }).unwrap();
            assert!(orders.contains(&r.order.unwrap()), "{orders:?}: {r:?}");
            let mut lm = LogMoments::new(&c).unwrap();
            let full = orders.iter().map(|&a| epsilon_at(a, lm.k(a), f64::ln(1e-5))).fold(f64::INFINITY, f64::min);
            assert!((r.value - full.max(0.0)).abs() <= 1e-12 * full.max(1.0));
        }
    }

    #[test]
    fn certified_search_equals_full_search() {
        let cases = [(0.5, 0.5, 1u64), (1.1, 0.01, 1000), (4.0, 1e-4, 100_000), (10.0, 0.3, 10), (0.7, 0.001, 50)];
        for &(z, q, t) in &cases {
            for &d in &[1e-10, 1e-5, 1e-3] {
                let comp = dpsgd(z, q, t);
                let orders = default_orders();
                let mut lm = LogMoments::new(&comp).unwrap();
                let full = orders
                    .iter()
                    .map(|&a| epsilon_at(a, lm.k(a), f64::ln(d)))
                    .fold(f64::INFINITY, f64::min)
                    .max(0.0);
                let fast = epsilon(&comp, d, &RdpOptions::default()).unwrap().value;
                assert!((fast - full).abs() <= 1e-10 * full.max(1.0), "{z} {q} {t} {d}: {fast} vs {full}");
            }
        }
    }

    #[test]
    fn integer_and_fractional_series_agree_at_integers() {
        for &(q, s) in &[(0.01, 1.0), (0.3, 0.8), (1e-4, 5.0), (0.5, 2.0)] {
            for a in [2u64, 3, 7, 20] {
                let i = sampled_gaussian_log_a_int(q, s, a);
                // The fractional series just beside the integer must be continuous.
                let f = sampled_gaussian_log_a_frac(q, s, a as f64 + 1e-9);
                assert!((i - f).abs() <= 1e-6 * i.abs().max(1e-12), "{q} {s} {a}: {i} vs {f}");
            }
        }
    }

    #[test]
    fn gaussian_and_full_sampling() {
        let g = [Component::new(Mechanism::Gaussian { noise_multiplier: 2.0 }, 1)];
        let p = dpsgd(2.0, 1.0, 1);
        let a = curve(&g, &[1.5, 10.0]).unwrap();
        let b = curve(&p, &[1.5, 10.0]).unwrap();
        assert!((a[0] - 1.5 / 8.0).abs() < 1e-15 && (a[1] - 10.0 / 8.0).abs() < 1e-15);
        assert_eq!(a, b);
    }

    #[test]
    fn pure_dp_delta_vanishes_from_the_basic_composition_epsilon_on() {
        let c = vec![
            Component::new(Mechanism::Laplace { epsilon: 0.5 }, 2),
            Component::new(Mechanism::Exponential { epsilon: 0.25 }, 1),
        ];
        let o = RdpOptions::default();
        let eps = epsilon(&c, 1e-9, &o).unwrap().value;
        assert!(eps <= 1.25);
        assert_eq!(delta(&c, 1.25, &o).unwrap().value, 0.0);
        assert!(delta(&c, 1.0, &o).unwrap().value > 0.0);
    }

    #[test]
    fn pure_dp_mechanisms_are_bounded_by_epsilon() {
        for &e in &[0.01, 0.5, 2.0, 10.0] {
            for m in [
                Mechanism::Laplace { epsilon: e },
                Mechanism::RandomizedResponse { epsilon: e, categories: 2 },
                Mechanism::RandomizedResponse { epsilon: e, categories: 7 },
                Mechanism::Exponential { epsilon: e },
            ] {
                let c = [Component::new(m, 1)];
                for &a in &[1.01, 1.5, 2.0, 10.0, 1000.0] {
                    let r = curve(&c, &[a]).unwrap()[0];
                    assert!(r >= 0.0 && r <= e * (1.0 + 1e-12), "{m:?} α={a}: {r}");
                    // ε-DP ⇒ (ε²/2)-zCDP; ε-BR ⇒ (ε²/8)-zCDP.
                    let rho = m.zcdp_rho().unwrap();
                    assert!(r <= rho * a * (1.0 + 1e-9) + 1e-15, "{m:?} α={a}: {r} vs {}", rho * a);
                }
            }
        }
    }

    #[test]
    fn bounded_range_is_the_supremum_of_two_point_pairs() {
        for &e in &[0.1, 1.0, 3.0] {
            for &a in &[1.3, 2.0, 8.0] {
                let ours = br_log_moment(e, a);
                let mut brute = 0.0f64;
                for i in 0..=20000 {
                    let p = i as f64 / 20000.0;
                    let t = -(p + (1.0 - p) * (-e).exp()).ln();
                    brute = brute.max(a * t + (p + (1.0 - p) * (-a * e).exp()).ln());
                }
                assert!(ours >= brute - 1e-12 && ours <= brute * (1.0 + 1e-6), "{e} {a}: {ours} vs {brute}");
            }
        }
    }

    #[test]
    fn wor_moments_match_both_methods() {
        // Where the binomial sum is well conditioned, the quadrature must agree with it.
        for &s in &[1.0, 2.0] {
            for l in [2u64, 4, 8, 16] {
                let c = 0.5 / (s * s);
                let exact: f64 = (0..=l)
                    .map(|k| {
                        let t = (ln_binom(l, k) + (k * k - k) as f64 * c).exp();
                        if (l - k) % 2 == 0 {
                            t
                        } else {
                            -t
                        }
                    })
                    .sum();
                let ours = wor_log_central_moment(s, l).exp();
                assert!((ours - exact).abs() <= 1e-7 * exact, "{s} {l}: {ours} vs {exact}");
            }
        }
        // Large σ: the binomial form cancels; the moment tends to E[(Z/σ)^ℓ] = (ℓ−1)!!/σ^ℓ.
        let s = 50.0f64;
        let l = 8u64;
        let approx = 105.0 / s.powi(8);
        let ours = wor_log_central_moment(s, l).exp();
        assert!((ours / approx - 1.0).abs() < 0.05, "{ours} vs {approx}");
    }

    #[test]
    fn extreme_parameters_give_infinity_not_nan() {
        let r = epsilon(&dpsgd(1e-3, 0.5, 1_000_000), 1e-5, &RdpOptions::default()).unwrap();
        assert!(r.value.is_infinite() || r.value > 1e3);
        assert!(!r.value.is_nan());
        let r = epsilon(&dpsgd(1e-200, 1.0, 10), 1e-5, &RdpOptions::default()).unwrap();
        assert_eq!(r.value, f64::INFINITY);
        assert_eq!(r.order, None);
        let r = epsilon(&dpsgd(1e-200, 0.01, 10), 1e-5, &RdpOptions::default()).unwrap();
        assert_eq!(r.value, f64::INFINITY);
        let d = delta(&dpsgd(1e-200, 1.0, 10), 1.0, &RdpOptions::default()).unwrap();
        assert_eq!(d.value, 1.0);
    }

    #[test]
    fn bad_input() {
        let c = dpsgd(1.0, 0.1, 10);
        assert!(epsilon(&c, 0.0, &RdpOptions::default()).is_err());
        assert!(epsilon(&c, 1.0, &RdpOptions::default()).is_err());
        assert!(epsilon(&c, 1e-5, &RdpOptions { orders: Some(vec![1.0, 2.0]), refine: false }).is_err());
        assert!(epsilon(&c, 1e-5, &RdpOptions { orders: Some(vec![]), refine: false }).is_err());
        assert!(delta(&c, -1.0, &RdpOptions::default()).is_err());
    }
}
