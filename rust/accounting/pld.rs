//! Privacy loss distributions (PLDs): pessimistic connect-the-dots discretisation and FFT
//! composition.
//!
//! Each mechanism is described by its *privacy profile* `δ(ε)`, the hockey-stick divergence of
//! its dominating pair of output distributions, in each direction (removing or adding a record;
//! the two differ only under Poisson subsampling). On the loss grid `ε_i = i·h`, the
//! connect-the-dots discretisation (Doroshenko, Ghazi, Kamath, Kumar & Manurangsi 2022,
//! Algorithm 1) builds the discrete PLD whose profile interpolates `δ(ε_i)` linearly in `e^ε`;
//! since a profile is convex in `e^ε`, that PLD dominates the mechanism, and domination survives
//! composition: every ε computed from it is an upper bound. Mass below the grid is rounded up to
//! its first point and mass above it goes to the atom at +∞ (exactly `δ(ε_max)`), so nothing is
//! dropped.
//!
//! Composition multiplies discrete Fourier transforms: the spectrum of a `count`-fold
//! composition is the per-step spectrum raised to `count`. The window of the result is bounded
//! by Chernoff's inequality (mass outside ≤ `tail_mass`, added to the atom at +∞); the FFT's
//! rounding noise is measured from the negative entries it produces and its total, times four,
//! is added to the atom at +∞ too. So the reported ε always rounds up.
//!
//! Discretisation error: the answer exceeds the true ε by an amount that shrinks quadratically
//! with the interval `h` (connect-the-dots keeps the mean loss, so there is no systematic drift
//! over many steps; it adds about `h²/4` of variance per step). `error_estimate` reports
//! `ε(2h) − ε(h)`, about three times the error when it is quadratic. The default `h` is scaled to
//! the per-step loss ([`auto_discretization`]). Compositions of Gaussian mechanisms alone are
//! computed exactly (a composition of Gaussians is a Gaussian). Where the FFT's dynamic range runs
//! out (tiny δ over very wide windows) the RDP bound, also valid, may be smaller and is returned.

use super::mechanism::{canonical, validate, Component, Mechanism};
use super::rdp::{check_delta, check_epsilon};
use super::special::{bisect, log_ndtr, log_sub};
use crate::error::{Error, Result};
use rayon::prelude::*;
use realfft::num_complex::Complex;
use realfft::RealFftPlanner;

/// Options of a PLD query.
#[derive(Clone, Debug)]
pub struct PldOptions {
    /// The loss grid interval `h`; `None` chooses it from the spread of the per-step privacy
    /// loss (see [`auto_discretization`]).
    pub discretization: Option<f64>,
    /// Mass allowed outside the FFT window (moved to +∞).
    pub tail_mass: f64,
    /// Largest array; a finer grid is coarsened (doubling `h`) until it fits.
    pub max_points: usize,
    /// Also compute `ε(2h) − ε(h)` as an estimate of the discretisation error.
    pub error_estimate: bool,
}

impl Default for PldOptions {
    fn default() -> Self {
        PldOptions { discretization: None, tail_mass: 1e-15, max_points: 1 << 22, error_estimate: false }
    }
}

/// The answer of a PLD query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PldAnswer {
    /// ε (or δ), rounded up.
    pub value: f64,
    /// The grid interval used (larger than asked when the grid had to be coarsened; 0 when the
    /// answer is exact).
    pub discretization: f64,
    /// `ε(2h) − ε(h)` when asked for.
    pub error_estimate: Option<f64>,
    /// Whether the RDP bound was smaller and returned instead (it happens only where the PLD's
    /// floating-point range is exhausted: huge windows at tiny δ).
    pub rdp_bound: bool,
}

/// Which neighbour the mechanism's pair compares with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Remove,
    Add,
}

/// The privacy profile δ(ε) of one application, in one direction.
fn profile(m: &Mechanism, dir: Direction, eps: f64) -> f64 {
    let (lq, l1q) = match *m {
        Mechanism::PoissonGaussian { sample_rate: q, .. } => (q.ln(), (-q).ln_1p()),
        _ => (0.0, 0.0),
    };
    profile_with(m, dir, eps, lq, l1q)
}

/// [`profile`] with `log q` and `log(1 − q)` of a Poisson rate precomputed.
#[inline]
fn profile_with(m: &Mechanism, dir: Direction, eps: f64, lq: f64, l1q: f64) -> f64 {
    let v = match *m {
        Mechanism::Gaussian { noise_multiplier: z } => gaussian_profile(1.0 / z, eps),
        Mechanism::PoissonGaussian { noise_multiplier: z, sample_rate: q } if q >= 1.0 => gaussian_profile(1.0 / z, eps),
        Mechanism::Laplace { epsilon: e0 } => {
            if eps >= e0 {
                0.0
            } else if eps >= -e0 {
                -(0.5 * (eps - e0)).exp_m1()
            } else {
                -eps.exp_m1()
            }
        }
        Mechanism::RandomizedResponse { epsilon: e0, categories: k } => {
            let z = e0.exp() + (k - 1) as f64;
            let atoms = [(e0, e0.exp() / z), (0.0, (k - 2) as f64 / z), (-e0, 1.0 / z)];
            atoms
                .iter()
                .filter(|(l, _)| *l > eps)
                .map(|(l, p)| -p * (eps - l).exp_m1())
                .sum()
        }
        Mechanism::Exponential { epsilon: e0 } => {
            let pos = |e: f64| {
                let a = -(0.5 * (e - e0)).exp_m1(); // 1 − e^{(e−ε₀)/2}
                a * a / (-(-e0).exp_m1())
            };
            if eps >= e0 {
                0.0
            } else if eps >= 0.0 {
                pos(eps)
            } else if eps >= -e0 {
                -eps.exp_m1() + eps.exp() * pos(-eps)
            } else {
                -eps.exp_m1()
            }
        }
        Mechanism::PoissonGaussian { noise_multiplier: s, .. } => {
            match dir {
                Direction::Remove => {
                    if eps <= l1q {
                        return -eps.exp_m1();
                    }
                    // e^ε = 1 − q + q·e^u with u = (−2x − 1)/(2σ²);
                    // δ = q·[Φ((x + 1)/σ) − e^u·Φ(x/σ)]
                    let u = log_sub(eps, l1q) - lq;
                    let x = -s * s * u - 0.5;
                    gaussian_difference(lq, (x + 1.0) / s, u, x / s)
                }
                Direction::Add => {
                    if eps >= -l1q {
                        return 0.0;
                    }
                    // e^{−ε} = 1 − q + q·e^w with w = (2x − 1)/(2σ²);
                    // δ = e^ε·q·[e^w·Φ(x/σ) − Φ((x − 1)/σ)]
                    let w = log_sub(-eps, l1q) - lq;
                    let x = s * s * w + 0.5;
                    gaussian_difference(eps + lq + w, x / s, -w, (x - 1.0) / s).min(1.0)
                }
            }
        }
        Mechanism::WorGaussian { .. } => f64::NAN, // refused before we get here
    };
    if v.is_nan() {
        1.0
    } else {
        v.clamp(0.0, 1.0)
    }
}

/// `e^c·[Φ(a) − e^u·Φ(b)]` (non-negative), in linear space where that is exact enough and in
/// log space in the far tails.
#[inline]
fn gaussian_difference(c: f64, a: f64, u: f64, b: f64) -> f64 {
    let (pa, pb) = (super::special::ndtr(a), super::special::ndtr(b));
    if pa > 1e-280 && pb > 1e-280 && u < 600.0 {
        let d = pa - u.exp() * pb;
        // Relative cancellation stays below 1e-8 here (the ratio of the two terms is at most
        // 1 − 1/|a|); otherwise recompute in log space.
        if d > 1e-8 * pa {
            return (c.exp() * d).max(0.0);
        }
    }
    let d = log_sub(log_ndtr(a), u + log_ndtr(b));
    (c + d).exp()
}

fn reverse(dir: Direction) -> Direction {
    match dir {
        Direction::Remove => Direction::Add,
        Direction::Add => Direction::Remove,
    }
}

/// The profile δ(ε) and its complement β(ε) = δ(ε) − (1 − e^ε) = e^ε·δ_reversed(−ε).
fn profiles(m: Mechanism, dir: Direction) -> (impl Fn(f64) -> f64 + Sync, impl Fn(f64) -> f64 + Sync) {
    let (lq, l1q) = match m {
        Mechanism::PoissonGaussian { sample_rate: q, .. } => (q.ln(), (-q).ln_1p()),
        _ => (0.0, 0.0),
    };
    let rev = reverse(dir);
    (
        move |e: f64| profile_with(&m, dir, e, lq, l1q),
        move |e: f64| (e + profile_with(&m, rev, -e, lq, l1q).ln()).exp(),
    )
}

/// δ(ε) of the Gaussian mechanism with `μ = sensitivity/σ` (Balle & Wang 2018).
pub fn gaussian_profile(mu: f64, eps: f64) -> f64 {
    let la = log_ndtr(0.5 * mu - eps / mu);
    let lb = eps + log_ndtr(-0.5 * mu - eps / mu);
    if lb >= la {
        return 0.0;
    }
    log_sub(la, lb).exp().clamp(0.0, 1.0)
}

/// The loss interval that is discretised: below `lo` mass is rounded up to `lo`; above `hi` it
/// is at +∞ with mass δ(hi) (at most `tau`).
fn support(m: &Mechanism, dir: Direction, tau: f64) -> (f64, f64) {
    let upper = |start: f64| {
        let mut hi = start.max(1e-3);
        let mut n = 0;
        while profile(m, dir, hi) > tau && n < 200 {
            hi *= 2.0;
            n += 1;
        }
        let mut lo = hi / 2.0;
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if profile(m, dir, mid) > tau {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    };
    let k = normal_upper_quantile(tau);
    match *m {
        Mechanism::Gaussian { noise_multiplier: z } => {
            let mu = 1.0 / z;
            (0.5 * mu * mu - k * mu, upper(0.5 * mu * mu))
        }
        Mechanism::PoissonGaussian { noise_multiplier: z, sample_rate: q } if q >= 1.0 => {
            let mu = 1.0 / z;
            (0.5 * mu * mu - k * mu, upper(0.5 * mu * mu))
        }
        Mechanism::Laplace { epsilon: e }
        | Mechanism::RandomizedResponse { epsilon: e, .. }
        | Mechanism::Exponential { epsilon: e } => (-e, e),
        Mechanism::PoissonGaussian { noise_multiplier: s, sample_rate: q } => {
            let l1q = (-q).ln_1p();
            match dir {
                Direction::Remove => (l1q, upper(-l1q)),
                Direction::Add => {
                    // Under P = N(0, σ²) the loss −log(1 − q + q·e^{(2x−1)/(2σ²)}) falls with x.
                    let x = k * s;
                    let lo = -super::special::log_add(l1q, q.ln() + (2.0 * x - 1.0) / (2.0 * s * s));
                    (lo.min(l1q), -l1q)
                }
            }
        }
        Mechanism::WorGaussian { .. } => (0.0, 0.0),
    }
}

/// `k` with `Φ(−k) = p`, by bisection on `log Φ`.
fn normal_upper_quantile(p: f64) -> f64 {
    let target = p.ln();
    let (mut lo, mut hi) = (0.0f64, 40.0f64);
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if log_ndtr(-mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// A discrete PLD: mass `probs[i]` at loss `(lower + i)·h`, plus an atom at +∞.
#[derive(Clone, Debug)]
pub struct Pmf {
    pub h: f64,
    pub lower: i64,
    pub probs: Vec<f64>,
    pub inf_mass: f64,
    /// A bound on the rounding error of each entry (from the FFT), added to every entry that
    /// counts towards δ.
    pub noise: f64,
}

/// Connect-the-dots discretisation on the grid covering `[lo, hi]`.
///
/// `delta(ε)` is the profile and `beta(ε) = δ(ε) − (1 − e^ε) = e^ε·δ_reversed(−ε)`; masses are
/// second differences, taken of `β` below 0 and of `δ` above (the smaller of the two, so the
/// cancellation error is relative to the mass that is there; `1 − e^ε` itself carries no mass).
fn connect_the_dots(
    delta: &(dyn Fn(f64) -> f64 + Sync),
    beta: &(dyn Fn(f64) -> f64 + Sync),
    lo: f64,
    hi: f64,
    h: f64,
    max_points: usize,
) -> Result<Pmf> {
    let k_lo = (lo / h).floor();
    let k_hi = (hi / h).ceil().max(k_lo);
    if !(k_lo.is_finite() && k_hi.is_finite()) || k_hi - k_lo >= max_points as f64 || k_lo.abs() > 9e15 {
        return Err(too_fine_by(1.1 * (k_hi - k_lo) / max_points as f64));
    }
    let n = (k_hi - k_lo) as usize + 1;
    let k_lo = k_lo as i64;
    let grid = |i: usize| (k_lo + i as i64) as f64 * h;
    // v[i] is β(ε_i) below 0 and δ(ε_i) from 0 on.
    let value = |i: usize| {
        let e = grid(i);
        if e < 0.0 {
            beta(e)
        } else {
            delta(e)
        }
    };
    let mut v: Vec<f64> = if n > 8192 {
        (0..n).into_par_iter().map(value).collect()
    } else {
        (0..n).map(value).collect()
    };
    // δ is non-increasing and β non-decreasing; enforce both against rounding.
    let zero = (0..n).find(|&i| grid(i) >= 0.0).unwrap_or(n);
    for i in 1..zero {
        if v[i] < v[i - 1] {
            v[i] = v[i - 1];
        }
    }
    for i in zero.max(1)..n {
        if i > zero && v[i] > v[i - 1] {
            v[i] = v[i - 1];
        }
    }
    let as_beta = |j: usize| if j < zero { v[j] } else { v[j] + grid(j).exp_m1() };
    let as_delta = |j: usize| if j >= zero { v[j] } else { v[j] - grid(j).exp_m1() };
    let inf_mass = as_delta(n - 1).clamp(0.0, 1.0);
    if n == 1 {
        return Ok(Pmf { h, lower: k_lo, probs: vec![1.0 - inf_mass], inf_mass, noise: 0.0 });
    }
    let em1 = h.exp_m1();
    let mut probs = vec![0.0; n];
    // Interior masses are the same linear form of δ or of β.
    let mass = |i: usize| {
        let f: &dyn Fn(usize) -> f64 = if i < zero { &as_beta } else { &as_delta };
        let (a, b, c) = (f(i - 1), f(i), f(i + 1));
        ((c - b) - (b - a)) / em1 - (b - a)
    };
    probs[0] = if zero > 0 {
        (as_beta(1) - as_beta(0)) / em1 - as_beta(0)
    } else {
        1.0 - as_delta(0) + (as_delta(1) - as_delta(0)) / em1
    };
    for (i, p) in probs.iter_mut().enumerate().take(n - 1).skip(1) {
        *p = mass(i);
    }
    probs[n - 1] = if n - 1 < zero {
        grid(n - 1).exp() + (as_beta(n - 1) - as_beta(n - 2)) / (-h).exp_m1()
    } else {
        (as_delta(n - 1) - as_delta(n - 2)) / (-h).exp_m1()
    };
    for p in probs.iter_mut() {
        // also clears NaN
        if p.is_nan() || *p < 0.0 {
            *p = 0.0;
        }
    }
    Ok(Pmf { h, lower: k_lo, probs, inf_mass, noise: 0.0 })
}

fn too_fine() -> Error {
    too_fine_by(2.0)
}

/// The grid is `factor` times too fine to fit (the message carries the factor for [`worst`]).
fn too_fine_by(factor: f64) -> Error {
    Error::Memory(format!("{}", if factor.is_finite() { factor.max(2.0) } else { 1e300 }))
}

/// How much coarser a grid that did not fit must get.
fn coarsening(e: &Error) -> f64 {
    match e {
        Error::Memory(m) => m.parse::<f64>().unwrap_or(2.0).clamp(2.0, 1e300),
        _ => 2.0,
    }
}

/// δ(ε) of a discrete PLD.
pub fn pmf_delta(pmf: &Pmf, eps: f64) -> f64 {
    let mut d = pmf.inf_mass;
    for (i, &p) in pmf.probs.iter().enumerate().rev() {
        let l = (pmf.lower + i as i64) as f64 * pmf.h;
        if l <= eps {
            break;
        }
        d += -(p + pmf.noise) * (eps - l).exp_m1();
    }
    d.min(1.0)
}

/// The smallest ε ≥ 0 with δ(ε) ≤ `delta` for a discrete PLD (rounded up).
pub fn pmf_epsilon(pmf: &Pmf, delta: f64) -> f64 {
    if pmf.inf_mass > delta {
        return f64::INFINITY;
    }
    let (mut upper, mut lower) = (pmf.inf_mass, 0.0f64);
    let n = pmf.probs.len();
    let loss = |i: usize| (pmf.lower + i as i64) as f64 * pmf.h;
    let mut eps = f64::NEG_INFINITY;
    for i in (0..n).rev() {
        let p = pmf.probs[i] + pmf.noise;
        upper += p;
        lower += p * (-loss(i)).exp();
        // On [loss(i−1), loss(i)) δ(ε) = upper − e^ε·lower.
        if upper <= delta {
            continue;
        }
        let cand = if lower > 0.0 { ((upper - delta) / lower).ln() } else { loss(i) };
        let floor = if i == 0 { f64::NEG_INFINITY } else { loss(i - 1) };
        if cand >= floor {
            eps = cand.min(loss(i));
            break;
        }
    }
    if eps <= 0.0 {
        return 0.0;
    }
    eps + 1e-12 * eps + 1e-15
}

type Plans = (std::sync::Arc<dyn realfft::RealToComplex<f64>>, std::sync::Arc<dyn realfft::ComplexToReal<f64>>);
type PlanCache = std::cell::RefCell<(RealFftPlanner<f64>, Vec<(usize, Plans)>)>;

/// FFT plans of length `n`, cached per thread.
fn plans(n: usize) -> Plans {
    thread_local! {
        static PLANNER: PlanCache = std::cell::RefCell::new((RealFftPlanner::new(), Vec::new()));
    }
    PLANNER.with(|cell| {
        let mut cell = cell.borrow_mut();
        if let Some((_, p)) = cell.1.iter().find(|(m, _)| *m == n) {
            return p.clone();
        }
        let p = (cell.0.plan_fft_forward(n), cell.0.plan_fft_inverse(n));
        if cell.1.len() > 8 {
            cell.1.remove(0);
        }
        cell.1.push((n, p.clone()));
        p
    })
}

/// `Σ_k p_k e^{tk}` in eight independent lanes.
fn mgf(p: &[f64], t: f64) -> f64 {
    let r = t.exp();
    let mut pw = [0.0f64; 8];
    pw[0] = 1.0;
    for j in 1..8 {
        pw[j] = pw[j - 1] * r;
    }
    let step = pw[7] * r;
    let mut acc = [0.0f64; 8];
    let mut chunks = p.chunks_exact(8);
    for ch in &mut chunks {
        for j in 0..8 {
            acc[j] += ch[j] * pw[j];
            pw[j] *= step;
        }
    }
    for (j, &x) in chunks.remainder().iter().enumerate() {
        acc[j] += x * pw[j];
    }
    acc.iter().sum()
}

fn fast_len(n: usize) -> usize {
    let mut best = n.next_power_of_two();
    let mut p3 = 1usize;
    while p3 < 2 * n {
        let mut m = p3;
        while m < n {
            m *= 2;
        }
        best = best.min(m);
        p3 *= 3;
    }
    best.max(16)
}

/// Composes `count_i`-fold repetitions of each PMF (same `h`) by FFT.
fn compose(parts: &[(&Pmf, u64)], tail_mass: f64, max_points: usize) -> Result<Pmf> {
    let h = parts[0].0.h;
    // Chernoff window for S = Σ (index offsets); logM(t) = Σ count·log Σ_k p_k e^{tk}.
    let mut var = 0.0;
    let mut span: f64 = 0.0;
    for (p, c) in parts {
        let mass: f64 = p.probs.iter().sum::<f64>().max(1e-300);
        let m1: f64 = p.probs.iter().enumerate().map(|(k, &x)| k as f64 * x).sum::<f64>() / mass;
        let m2: f64 = p.probs.iter().enumerate().map(|(k, &x)| (k as f64 - m1).powi(2) * x).sum::<f64>() / mass;
        var += *c as f64 * m2;
        span += *c as f64 * (p.probs.len() - 1) as f64;
    }
    let log_mgf = |t: f64| -> f64 {
        let mut total = 0.0;
        for (p, c) in parts {
            total += *c as f64 * mgf(&p.probs, t).ln();
        }
        total
    };
    let max_len = parts.iter().map(|(p, _)| p.probs.len()).max().unwrap_or(1) as f64;
    let lg = (2.0 / tail_mass).ln();
    let t_star = (2.0 * lg / var.max(1e-300)).sqrt();
    let t_max = 600.0 / max_len;
    // Any t gives a valid bound: scan a coarse ladder around the Gaussian optimum t*, then
    // refine the best rung with a few golden-section steps (the bound is quasi-convex in log t).
    let bound = |t: f64, upper: bool| {
        let v = if upper { (log_mgf(t) + lg) / t } else { -(log_mgf(-t) + lg) / t };
        if v.is_finite() {
            v
        } else if upper {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        }
    };
    let side = |upper: bool| {
        let sign = if upper { 1.0 } else { -1.0 };
        let ladder: Vec<f64> = (-6..=3).map(|j| (t_star * 2f64.powi(j)).min(t_max)).collect();
        let vals: Vec<f64> = ladder.iter().map(|&t| sign * bound(t, upper)).collect();
        let (mut bi, mut bv) = (0, f64::INFINITY);
        for (i, &v) in vals.iter().enumerate() {
            if v < bv {
                bv = v;
                bi = i;
            }
        }
        let (mut lo, mut hi) = (ladder[bi.saturating_sub(1)].ln(), ladder[(bi + 1).min(ladder.len() - 1)].ln());
        let g = 0.381_966_011_250_105;
        for _ in 0..6 {
            let (a, b) = (lo + g * (hi - lo), hi - g * (hi - lo));
            let (fa, fb) = (sign * bound(a.exp(), upper), sign * bound(b.exp(), upper));
            bv = bv.min(fa).min(fb);
            if fa < fb {
                hi = b;
            } else {
                lo = a;
            }
        }
        sign * bv
    };
    let (mut w_lo, mut w_hi) = (0.0f64, span);
    let up = side(true);
    if up.is_finite() {
        w_hi = w_hi.min(up.ceil());
    }
    let down = side(false);
    if down.is_finite() {
        w_lo = w_lo.max(down.floor());
    }
    if w_hi < w_lo {
        // Inconsistent bounds can only come from rounding: fall back to the whole support.
        (w_lo, w_hi) = (0.0, span);
    }
    if (w_hi - w_lo).is_nan() || w_hi - w_lo >= max_points as f64 {
        return Err(too_fine_by(1.1 * (w_hi - w_lo) / max_points as f64));
    }
    let width = (w_hi - w_lo) as usize + 1;
    let n = fast_len(width);
    let (fwd, inv) = plans(n);
    let mut spectrum = vec![Complex::new(1.0, 0.0); n / 2 + 1];
    let mut buf = vec![0.0; n];
    let mut scratch = fwd.make_scratch_vec();
    let mut part_spec = fwd.make_output_vec();
    for (p, c) in parts {
        buf.iter_mut().for_each(|x| *x = 0.0);
        for chunk in p.probs.chunks(n) {
            buf.iter_mut().zip(chunk).for_each(|(b, &x)| *b += x);
        }
        fwd.process_with_scratch(&mut buf, &mut part_spec, &mut scratch).map_err(|e| Error::invalid(e.to_string()))?;
        // spectrum *= part_spec^c by binary exponentiation; frequencies whose power underflows
        // (most of them, for long compositions) are set to zero without the work.
        let cf = *c as f64;
        for (s, z) in spectrum.iter_mut().zip(&part_spec) {
            if *s == Complex::new(0.0, 0.0) {
                continue;
            }
            if cf * 0.5 * z.norm_sqr().ln() < -745.0 {
                *s = Complex::new(0.0, 0.0);
                continue;
            }
            let (mut e, mut base, mut acc) = (*c, *z, Complex::new(1.0, 0.0));
            while e > 0 {
                if e & 1 == 1 {
                    acc *= base;
                }
                e >>= 1;
                if e > 0 {
                    base = base * base;
                }
            }
            *s *= acc;
        }
    }
    // The imaginary parts of the DC and Nyquist bins must be zero for the inverse real FFT.
    spectrum[0].im = 0.0;
    if n % 2 == 0 {
        spectrum[n / 2].im = 0.0;
    }
    let mut out = vec![0.0; n];
    let mut scratch = inv.make_scratch_vec();
    inv.process_with_scratch(&mut spectrum, &mut out, &mut scratch).map_err(|e| Error::invalid(e.to_string()))?;
    let scale = 1.0 / n as f64;
    let mut noise = 0.0f64;
    for x in out.iter_mut() {
        *x *= scale;
        if *x < 0.0 {
            noise = noise.max(-*x);
            *x = 0.0;
        }
    }
    let w_lo_i = w_lo as usize;
    let probs: Vec<f64> = (0..width).map(|j| out[(w_lo_i + j) % n]).collect();
    let mut lower: i128 = w_lo_i as i128;
    let mut log_finite = 0.0;
    for (p, c) in parts {
        lower += p.lower as i128 * *c as i128;
        log_finite += *c as f64 * (-p.inf_mass).ln_1p();
    }
    if lower.abs() > 9_000_000_000_000_000 {
        return Err(too_fine());
    }
    let inf_mass = (-log_finite.exp_m1() + tail_mass).min(1.0);
    Ok(Pmf { h, lower: lower as i64, probs, inf_mass, noise: 2.0 * noise })
}

/// The default grid interval: `h = 0.02·√(V/C)`, where `V` sums `count × K(2)` (the log-moment
/// at order 2, ≈ the variance of the per-step privacy loss) and `C` the counts. Connect-the-dots
/// adds about `h²/4` of variance per discretised step, so this keeps the relative error of ε
/// near 1e-4 whatever the scale of the loss (1e-4 absolute at the DP-SGD reference point).
pub fn auto_discretization(p: &Prepared) -> f64 {
    let mut all = p.others.clone();
    if p.gaussian_mu2 > 0.0 {
        all.push(Component::new(Mechanism::Gaussian { noise_multiplier: 1.0 / p.gaussian_mu2.sqrt() }, 1));
    }
    let (mut v, mut c) = (0.0, 0.0);
    for comp in &all {
        let k2 = super::rdp::LogMoments::new(&[Component::new(comp.mechanism, 1)]).map_or(f64::INFINITY, |mut l| l.k(2.0));
        v += comp.count as f64 * k2;
        c += comp.count as f64;
    }
    let h = 0.02 * (v / c).sqrt();
    if h.is_finite() && h > 0.0 {
        h.clamp(1e-8, 1.0)
    } else {
        1e-2
    }
}

/// A composition prepared for PLD accounting: Gaussians merged, directions resolved.
pub struct Prepared {
    /// Non-Gaussian components.
    others: Vec<Component>,
    /// μ² of all Gaussian mechanisms together (0 when none).
    gaussian_mu2: f64,
    /// Whether some component has different add and remove profiles.
    asymmetric: bool,
}

fn prepare(components: &[Component]) -> Result<Prepared> {
    validate(components)?;
    let mut others = Vec::new();
    let mut mu2 = 0.0;
    let mut asymmetric = false;
    for c in canonical(components) {
        match c.mechanism {
            Mechanism::Gaussian { noise_multiplier: z } => mu2 += c.count as f64 / (z * z),
            Mechanism::PoissonGaussian { noise_multiplier: z, sample_rate } if sample_rate >= 1.0 => {
                mu2 += c.count as f64 / (z * z)
            }
            Mechanism::WorGaussian { noise_multiplier: z, sample_rate } if sample_rate >= 1.0 => {
                mu2 += c.count as f64 / (z * z)
            }
            Mechanism::WorGaussian { .. } => {
                return Err(Error::invalid(
                    "the PLD accountant does not support sampling without replacement (its dominating \
                     pair is not known in closed form); use the RDP accountant",
                ))
            }
            Mechanism::PoissonGaussian { .. } => {
                asymmetric = true;
                others.push(c)
            }
            _ => others.push(c),
        }
    }
    Ok(Prepared { others, gaussian_mu2: mu2, asymmetric })
}

/// Discretises every component of one direction on grid `h`; the loss beyond the grid carries
/// at most `tau` of mass in all (moved to +∞ above, rounded up to the grid below).
fn discretise(p: &Prepared, dir: Direction, h: f64, max_points: usize, tau: f64) -> Result<Vec<(Pmf, u64)>> {
    let mut parts = Vec::new();
    let mut all: Vec<Component> = p.others.clone();
    if p.gaussian_mu2 > 0.0 {
        all.push(Component::new(Mechanism::Gaussian { noise_multiplier: 1.0 / p.gaussian_mu2.sqrt() }, 1));
    }
    let supports: Vec<(f64, f64)> =
        all.iter().map(|c| support(&c.mechanism, dir, (tau / c.count as f64).max(1e-300))).collect();
    // Keep each per-step grid within a quarter of the budget (the composed window needs the rest).
    let span = supports.iter().map(|(lo, hi)| hi - lo).fold(0.0f64, f64::max);
    let h = h.max(span / (max_points / 4) as f64);
    for (c, &(lo, hi)) in all.iter().zip(&supports) {
        let (d, b) = profiles(c.mechanism, dir);
        parts.push((connect_the_dots(&d, &b, lo, hi, h, max_points)?, c.count));
    }
    Ok(parts)
}

/// Mass left beyond the per-step grids: negligible next to `delta` (or tiny when δ is unknown).
fn support_mass(delta: Option<f64>) -> f64 {
    delta.map_or(1e-24, |d| (d * 1e-10).clamp(1e-280, 1e-15))
}

fn composed(p: &Prepared, dir: Direction, h: f64, opts: &PldOptions, tau: f64) -> Result<Pmf> {
    let parts = discretise(p, dir, h, opts.max_points, tau)?;
    let refs: Vec<(&Pmf, u64)> = parts.iter().map(|(a, c)| (a, *c)).collect();
    compose(&refs, opts.tail_mass, opts.max_points)
}

fn check_options(opts: &PldOptions) -> Result<()> {
    if let Some(h) = opts.discretization {
        if !(h > 0.0 && h.is_finite()) {
            return Err(Error::invalid(format!("discretization must be positive and finite, got {h}")));
        }
    }
    if !(opts.tail_mass > 0.0 && opts.tail_mass < 1e-3) {
        return Err(Error::invalid(format!("tail_mass must lie in (0, 1e-3), got {}", opts.tail_mass)));
    }
    Ok(())
}

/// Runs `query` on the composed PLD of each needed direction, coarsening the grid until it fits;
/// returns the worst (largest) answer and the interval used.
fn worst<F: Fn(&Pmf) -> f64 + Sync>(p: &Prepared, opts: &PldOptions, h0: f64, tau: f64, query: F) -> Result<(f64, f64)> {
    let mut h = h0;
    for _ in 0..64 {
        let r = if p.asymmetric {
            let (a, b) = rayon::join(
                || composed(p, Direction::Remove, h, opts, tau).map(|m| (query(&m), m.h)),
                || composed(p, Direction::Add, h, opts, tau).map(|m| (query(&m), m.h)),
            );
            a.and_then(|x| b.map(|y| (x.0.max(y.0), x.1.max(y.1))))
        } else {
            composed(p, Direction::Remove, h, opts, tau).map(|m| (query(&m), m.h))
        };
        match r {
            Ok((v, used)) => return Ok((v, used)),
            Err(e @ Error::Memory(_)) => h *= coarsening(&e),
            Err(e) => return Err(e),
        }
    }
    Ok((f64::INFINITY, h))
}

/// ε (rounded up) of an all-Gaussian composition with total `μ²`.
pub fn gaussian_epsilon(mu2: f64, delta: f64) -> f64 {
    let mu = mu2.sqrt();
    if !mu.is_finite() {
        return f64::INFINITY;
    }
    if gaussian_profile(mu, 0.0) <= delta {
        return 0.0;
    }
    let hi = 0.5 * mu2 + mu * (2.0 * (1.0 / delta).ln()).sqrt() + 1.0;
    bisect(0.0, hi, |e| gaussian_profile(mu, e) > delta).1
}

/// The smallest ε (rounded up) at which the composition is (ε, δ)-DP.
pub fn epsilon(components: &[Component], delta: f64, opts: &PldOptions) -> Result<PldAnswer> {
    check_delta(delta)?;
    check_options(opts)?;
    let p = prepare(components)?;
    if p.others.is_empty() {
        let value = gaussian_epsilon(p.gaussian_mu2, delta);
        return Ok(PldAnswer { value, discretization: 0.0, error_estimate: Some(0.0), rdp_bound: false });
    }
    let tau = support_mass(Some(delta));
    let h0 = opts.discretization.unwrap_or_else(|| auto_discretization(&p));
    let (v, h) = worst(&p, opts, h0, tau, |m| pmf_epsilon(m, delta))?;
    let error_estimate = if opts.error_estimate && v.is_finite() {
        let (v2, _) = worst(&p, opts, 2.0 * h, tau, |m| pmf_epsilon(m, delta))?;
        Some((v2 - v).max(0.0))
    } else {
        None
    };
    // Both are upper bounds; the RDP one wins only where the FFT's dynamic range runs out.
    let mut r = super::rdp::epsilon(components, delta, &Default::default())?.value;
    if let Some(pure) = super::mechanism::pure_epsilon(components) {
        r = r.min(pure);
    }
    Ok(PldAnswer { value: v.min(r), discretization: h, error_estimate, rdp_bound: r < v })
}

/// The smallest δ (rounded up) at which the composition is (ε, δ)-DP.
pub fn delta(components: &[Component], epsilon: f64, opts: &PldOptions) -> Result<PldAnswer> {
    check_epsilon(epsilon)?;
    check_options(opts)?;
    let p = prepare(components)?;
    if super::mechanism::pure_epsilon(components).is_some_and(|pure| pure <= epsilon) {
        return Ok(PldAnswer { value: 0.0, discretization: 0.0, error_estimate: Some(0.0), rdp_bound: false });
    }
    if p.others.is_empty() {
        let mu = p.gaussian_mu2.sqrt();
        let d = if mu.is_finite() { gaussian_profile(mu, epsilon) } else { 1.0 };
        return Ok(PldAnswer { value: d, discretization: 0.0, error_estimate: Some(0.0), rdp_bound: false });
    }
    let h0 = opts.discretization.unwrap_or_else(|| auto_discretization(&p));
    let (v, h) = worst(&p, opts, h0, support_mass(None), |m| pmf_delta(m, epsilon))?;
    let r = super::rdp::delta(components, epsilon, &Default::default())?.value;
    Ok(PldAnswer { value: v.min(r), discretization: h, error_estimate: None, rdp_bound: r < v })
}

/// A per-step composition discretised once, composed for any number of steps (step search).
pub struct Repeatable {
    steps: Vec<Vec<(Pmf, u64)>>,
    fixed: Vec<Vec<(Pmf, u64)>>,
    opts: PldOptions,
    /// The grid interval used.
    pub h: f64,
}

impl Repeatable {
    pub fn new(step: &[Component], fixed: &[Component], opts: &PldOptions) -> Result<Self> {
        check_options(opts)?;
        let mut all = step.to_vec();
        all.extend_from_slice(fixed);
        validate(&all)?;
        let ps = prepare(step)?;
        let pf = prepare(fixed)?;
        let dirs: &[Direction] =
            if ps.asymmetric || pf.asymmetric { &[Direction::Remove, Direction::Add] } else { &[Direction::Remove] };
        let mut h = opts.discretization.unwrap_or_else(|| {
            let mut both = ps.others.clone();
            both.extend_from_slice(&pf.others);
            auto_discretization(&Prepared { others: both, gaussian_mu2: ps.gaussian_mu2 + pf.gaussian_mu2, asymmetric: false })
        });
        'outer: for _ in 0..64 {
            let mut steps = Vec::new();
            let mut fixed = Vec::new();
            for &d in dirs {
                let tau = support_mass(None);
                match (discretise(&ps, d, h, opts.max_points, tau), discretise(&pf, d, h, opts.max_points, tau)) {
                    (Ok(a), Ok(b)) => {
                        steps.push(a);
                        fixed.push(b);
                    }
                    (Err(Error::Memory(_)), _) | (_, Err(Error::Memory(_))) => {
                        h *= 2.0;
                        continue 'outer;
                    }
                    (Err(e), _) | (_, Err(e)) => return Err(e),
                }
            }
            return Ok(Repeatable { steps, fixed, opts: opts.clone(), h });
        }
        Err(too_fine())
    }

    /// ε after `count` steps; `None` when the composed grid would not fit (treat as too many).
    pub fn epsilon(&self, count: u64, delta: f64) -> Option<f64> {
        let mut worst: f64 = 0.0;
        for (s, f) in self.steps.iter().zip(&self.fixed) {
            let mut parts: Vec<(&Pmf, u64)> = s.iter().map(|(p, c)| (p, c.saturating_mul(count))).collect();
            parts.extend(f.iter().map(|(p, c)| (p, *c)));
            match compose(&parts, self.opts.tail_mass, self.opts.max_points) {
                Ok(m) => worst = worst.max(pmf_epsilon(&m, delta)),
                Err(_) => return None,
            }
        }
        Some(worst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dpsgd(z: f64, q: f64, steps: u64) -> Vec<Component> {
        vec![Component::new(Mechanism::PoissonGaussian { noise_multiplier: z, sample_rate: q }, steps)]
    }

    #[test]
    fn gaussian_composition_is_exact() {
        // 4 Gaussians with σ = 2 compose to one with σ = 1: δ(ε) of μ = 1.
        let c = [Component::new(Mechanism::Gaussian { noise_multiplier: 2.0 }, 4)];
        let e = epsilon(&c, 1e-5, &PldOptions::default()).unwrap();
        assert_eq!(e.discretization, 0.0);
        let d = gaussian_profile(1.0, e.value);
        assert!(d <= 1e-5 && d > 0.999e-5, "{d}");
    }

    #[test]
    fn discretised_gaussian_rounds_up_and_is_tight() {
        // Mixed with a tiny Laplace term the Gaussian goes through the FFT path.
        for &(z, count) in &[(1.0, 1u64), (5.0, 100), (20.0, 10_000)] {
            let mu2 = count as f64 / (z * z);
            let exact = gaussian_epsilon(mu2, 1e-6);
            let g = Mechanism::Gaussian { noise_multiplier: z };
            let tau = 1e-24 / count as f64;
            let (lo, hi) = support(&g, Direction::Remove, tau);
            let (d, b) = profiles(g, Direction::Remove);
            let pmf = connect_the_dots(&d, &b, lo, hi, 1e-3, 1 << 22).unwrap();
            let m = compose(&[(&pmf, count)], 1e-15, 1 << 22).unwrap();
            let ours = pmf_epsilon(&m, 1e-6);
            assert!(ours >= exact, "z={z} T={count}: {ours} < exact {exact}");
            assert!(ours <= exact + 2e-3, "z={z} T={count}: {ours} vs {exact}");
        }
    }

    #[test]
    fn dpsgd_reference_point() {
        // dp_accounting 0.6 PLD, h = 1e-4: 2.3796435; the true ε is ≈ 2.3796.
        // The true ε is 2.379554 (extrapolated from h → 0; the error is quadratic in h).
        let o = PldOptions { discretization: Some(1e-4), ..Default::default() };
        let r = epsilon(&dpsgd(1.1, 256.0 / 60000.0, 14040), 1e-5, &o).unwrap();
        assert!(r.value > 2.379554 && r.value < 2.3796436, "{r:?}");
        let auto = epsilon(&dpsgd(1.1, 256.0 / 60000.0, 14040), 1e-5, &PldOptions::default()).unwrap();
        assert!(auto.value > 2.379554 && auto.value < 2.3797, "{auto:?}");
    }

    #[test]
    fn profiles_match_their_pmfs() {
        // A single discretised step reproduces δ at the grid points (within rounding).
        let mechs = [
            Mechanism::Laplace { epsilon: 1.0 },
            Mechanism::RandomizedResponse { epsilon: 0.7, categories: 3 },
            Mechanism::Exponential { epsilon: 2.0 },
            Mechanism::PoissonGaussian { noise_multiplier: 0.8, sample_rate: 0.2 },
        ];
        for m in mechs {
            for dir in [Direction::Remove, Direction::Add] {
                let (lo, hi) = support(&m, dir, 1e-24);
                let (d, b) = profiles(m, dir);
                let h = 1e-3;
                let pmf = connect_the_dots(&d, &b, lo, hi, h, 1 << 22).unwrap();
                for &e in &[0.0, 0.25, 0.5, 1.0] {
                    let g = (e / h).round() * h;
                    let a = pmf_delta(&pmf, g);
                    let b = profile(&m, dir, g);
                    assert!((a - b).abs() <= 1e-9, "{m:?} {dir:?} ε={g}: {a} vs {b}");
                }
                // and it dominates between grid points
                for &e in &[0.1234, 0.4321, 0.7777] {
                    assert!(pmf_delta(&pmf, e) >= profile(&m, dir, e) - 1e-12, "{m:?} {dir:?} ε={e}");
                }
            }
        }
    }

    #[test]
    fn pure_dp_mechanisms_are_pure() {
        for m in [Mechanism::Laplace { epsilon: 1.3 }, Mechanism::RandomizedResponse { epsilon: 1.3, categories: 2 }] {
            for dir in [Direction::Remove, Direction::Add] {
                assert_eq!(profile(&m, dir, 1.3), 0.0);
                assert!(profile(&m, dir, 1.2) > 0.0);
            }
        }
        // tanh(ε/4) is the total variation of an ε-bounded-range mechanism.
        let m = Mechanism::Exponential { epsilon: 2.0 };
        assert!((profile(&m, Direction::Remove, 0.0) - 0.5f64.tanh()).abs() < 1e-15);
    }

    #[test]
    fn epsilon_delta_round_trip() {
        let c = dpsgd(1.0, 0.01, 1000);
        let o = PldOptions { discretization: Some(1e-3), ..Default::default() };
        let e = epsilon(&c, 1e-6, &o).unwrap().value;
        let d = delta(&c, e, &o).unwrap().value;
        assert!(d <= 1e-6 * (1.0 + 1e-6), "{d}");
    }

    #[test]
    fn coarsens_instead_of_running_out_of_memory() {
        let c = [Component::new(Mechanism::Laplace { epsilon: 1.0 }, 100_000)];
        let o = PldOptions { discretization: Some(1e-4), max_points: 1 << 16, ..Default::default() };
        let r = epsilon(&c, 1e-5, &o).unwrap();
        assert!(r.discretization > 1e-4);
        assert!(r.value.is_finite() && r.value > 30_000.0);
    }

    #[test]
    fn refuses_sampling_without_replacement() {
        let c = [Component::new(Mechanism::WorGaussian { noise_multiplier: 1.0, sample_rate: 0.1 }, 1)];
        assert!(epsilon(&c, 1e-5, &PldOptions::default()).is_err());
    }
}

