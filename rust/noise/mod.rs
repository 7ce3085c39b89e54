//! Exact samplers for differential-privacy noise.
//!
//! Floating-point Laplace and Gaussian samplers leak through the gaps in their output (Mironov
//! 2012; Jin et al. 2022). Counts are integers, so synthrisk adds integer noise drawn *exactly*
//! from the discrete Laplace and discrete Gaussian distributions with the rejection samplers of
//! Canonne, Kamath & Steinke (2020, "The Discrete Gaussian for Differential Privacy",
//! Algorithms 1–3), using only integer arithmetic and a ChaCha20 stream.
//!
//! The discrete Gaussian with variance parameter σ² and L2 sensitivity Δ is (Δ²/2σ²)-zCDP, the
//! same cost as the continuous one. σ² is rounded *up* to a rational with denominator 2²⁰, so the
//! noise is never smaller than asked for.

use crate::error::{Error, Result};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// Denominator of the rational σ² (rounded up to a multiple of 1/2²⁰).
const SIGMA2_DENOMINATOR: u128 = 1 << 20;

/// A source of noise: ChaCha20, seeded for reproducibility or from the operating system.
pub struct NoiseRng(ChaCha20Rng);

impl NoiseRng {
    pub fn new(seed: Option<u64>) -> Self {
        match seed {
            Some(s) => Self(ChaCha20Rng::seed_from_u64(s)),
            None => Self(ChaCha20Rng::from_entropy()),
        }
    }

    /// A uniform integer in [0, n), without modulo bias.
    fn below(&mut self, n: u128) -> u128 {
        debug_assert!(n > 0);
        let zone = u128::MAX - (u128::MAX % n);
        loop {
            let x = (u128::from(self.0.next_u64()) << 64) | u128::from(self.0.next_u64());
            if x < zone {
                return x % n;
            }
        }
    }

    /// Bernoulli(num / den), exactly.
    fn bernoulli(&mut self, num: u128, den: u128) -> bool {
        self.below(den) < num
    }

    /// Bernoulli(exp(−num/den)), exactly (CKS20 Algorithm 1).
    fn bernoulli_exp(&mut self, num: u128, den: u128) -> Result<bool> {
        let whole = num / den;
        for _ in 0..whole {
            if !self.bernoulli_exp_fraction(1, 1)? {
                return Ok(false);
            }
        }
        self.bernoulli_exp_fraction(num % den, den)
    }

    /// Bernoulli(exp(−γ)) for γ = num/den ∈ [0, 1].
    fn bernoulli_exp_fraction(&mut self, num: u128, den: u128) -> Result<bool> {
        let mut k: u128 = 1;
        loop {
            let scaled = den.checked_mul(k).ok_or_else(overflow)?;
            if !self.bernoulli(num, scaled) {
                return Ok(k % 2 == 1);
            }
            k += 1;
        }
    }

    /// Discrete Laplace with scale t: P(x) ∝ exp(−|x|/t) (CKS20 Algorithm 2 with s = 1).
    fn discrete_laplace(&mut self, t: u128) -> Result<i128> {
        loop {
            let u = self.below(t);
            if !self.bernoulli_exp(u, t)? {
                continue;
            }
            let mut v: u128 = 0;
            while self.bernoulli_exp(1, 1)? {
                v += 1;
            }
            let magnitude = u.checked_add(t.checked_mul(v).ok_or_else(overflow)?).ok_or_else(overflow)?;
            let negative = self.bernoulli(1, 2);
            if negative && magnitude == 0 {
                continue;
            }
            let x = i128::try_from(magnitude).map_err(|_| overflow())?;
            return Ok(if negative { -x } else { x });
        }
    }

    /// Discrete Gaussian with σ² = n/d: P(x) ∝ exp(−x²/2σ²) (CKS20 Algorithm 3).
    fn discrete_gaussian(&mut self, n: u128, d: u128, t: u128) -> Result<i128> {
        loop {
            let y = self.discrete_laplace(t)?;
            // γ = (|y| − σ²/t)² / (2σ²) = (|y|·t·d − n)² / (2·n·d·t²)
            let a = (y.unsigned_abs().checked_mul(t).and_then(|v| v.checked_mul(d)).ok_or_else(overflow)?)
                .abs_diff(n);
            // If a² overflows u128 then γ ≥ 2¹²⁸ / den ≥ 170 for every σ ≤ 1e6, so acceptance has
            // probability below e⁻¹⁷⁰: rejecting changes the distribution by less than 1e-73.
            let Some(num) = a.checked_mul(a) else {
                continue;
            };
            let den = 2u128
                .checked_mul(n)
                .and_then(|v| v.checked_mul(d))
                .and_then(|v| v.checked_mul(t * t))
                .ok_or_else(overflow)?;
            if self.bernoulli_exp(num, den)? {
                return Ok(y);
            }
        }
    }
}

fn overflow() -> Error {
    Error::invalid("the noise scale is too large for the exact sampler (σ must stay below 1e6)")
}

/// σ² as a rational n / 2²⁰, rounded up.
fn sigma2_rational(sigma: f64) -> Result<u128> {
    if !(sigma > 0.0 && sigma.is_finite() && sigma <= 1e6) {
        return Err(Error::invalid(format!("sigma must lie in (0, 1e6], got {sigma}")));
    }
    Ok(((sigma * sigma) * SIGMA2_DENOMINATOR as f64).ceil() as u128)
}

/// `size` independent draws from the discrete Gaussian with scale parameter σ (variance ≈ σ²).
pub fn discrete_gaussian(sigma: f64, size: usize, seed: Option<u64>) -> Result<Vec<i64>> {
    let n = sigma2_rational(sigma)?;
    let d = SIGMA2_DENOMINATOR;
    // t = ⌊σ⌋ + 1, computed on the rounded σ² so that the algorithm's assumptions hold exactly.
    let t = (((n as f64) / (d as f64)).sqrt().floor() as u128) + 1;
    let mut rng = NoiseRng::new(seed);
    (0..size)
        .map(|_| rng.discrete_gaussian(n, d, t).and_then(|x| i64::try_from(x).map_err(|_| overflow())))
        .collect()
}

/// `size` independent draws from the discrete Laplace distribution with integer scale `t`.
pub fn discrete_laplace(scale: u64, size: usize, seed: Option<u64>) -> Result<Vec<i64>> {
    if scale == 0 {
        return Err(Error::invalid("the discrete Laplace scale must be a positive integer"));
    }
    let mut rng = NoiseRng::new(seed);
    (0..size)
        .map(|_| rng.discrete_laplace(u128::from(scale)).and_then(|x| i64::try_from(x).map_err(|_| overflow())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pmf_gaussian(sigma2: f64, range: i64) -> Vec<f64> {
        let w: Vec<f64> = (-range..=range).map(|x| (-(x * x) as f64 / (2.0 * sigma2)).exp()).collect();
        let z: f64 = w.iter().sum();
        w.iter().map(|v| v / z).collect()
    }

    #[test]
    fn gaussian_matches_its_pmf() {
        let sigma = 2.5;
        let n = 200_000;
        let draws = discrete_gaussian(sigma, n, Some(1)).unwrap();
        let range = 20;
        let pmf = pmf_gaussian(sigma * sigma, range);
        let mut counts = vec![0usize; (2 * range + 1) as usize];
        for x in &draws {
            assert!(x.abs() <= range);
            counts[(x + range) as usize] += 1;
        }
        // Chi-square against the exact pmf over cells with enough mass.
        let mut chi2 = 0.0;
        let mut cells = 0;
        for (c, p) in counts.iter().zip(&pmf) {
            let e = p * n as f64;
            if e > 5.0 {
                chi2 += (*c as f64 - e).powi(2) / e;
                cells += 1;
            }
        }
        // 99.99% quantile of χ² with ~20 degrees of freedom is ≈ 52.
        assert!(chi2 < 60.0, "chi2 = {chi2} over {cells} cells");
    }

    #[test]
    fn laplace_is_symmetric_with_the_right_scale() {
        let draws = discrete_laplace(3, 100_000, Some(2)).unwrap();
        let mean: f64 = draws.iter().map(|&x| x as f64).sum::<f64>() / draws.len() as f64;
        // Var of the discrete Laplace with scale t: 2e^{-1/t} / (1 - e^{-1/t})^2.
        let q = (-1.0f64 / 3.0).exp();
        let var_true = 2.0 * q / (1.0 - q).powi(2);
        let var: f64 = draws.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / draws.len() as f64;
        assert!(mean.abs() < 0.1, "mean {mean}");
        assert!((var / var_true - 1.0).abs() < 0.03, "var {var} vs {var_true}");
    }

    #[test]
    fn seeds_reproduce() {
        assert_eq!(discrete_gaussian(7.0, 100, Some(3)).unwrap(), discrete_gaussian(7.0, 100, Some(3)).unwrap());
        assert_ne!(discrete_gaussian(7.0, 100, Some(3)).unwrap(), discrete_gaussian(7.0, 100, Some(4)).unwrap());
    }

    #[test]
    fn large_and_small_scales_work() {
        let big = discrete_gaussian(5e4, 1000, Some(5)).unwrap();
        let sd = (big.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / 1000.0).sqrt();
        assert!(sd > 4e4 && sd < 6e4, "{sd}");
        let small = discrete_gaussian(0.01, 1000, Some(6)).unwrap();
        assert!(small.iter().all(|&x| x == 0));
    }

    #[test]
    fn bad_scales_are_errors() {
        assert!(discrete_gaussian(0.0, 1, None).is_err());
        assert!(discrete_gaussian(f64::NAN, 1, None).is_err());
        assert!(discrete_gaussian(1e7, 1, None).is_err());
        assert!(discrete_laplace(0, 1, None).is_err());
    }
}
