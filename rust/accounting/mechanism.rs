//! Mechanism records: what was run on the data, with its parameters, and how many times.
//!
//! A composition is a list of [`Component`]s; composition is commutative for every accountant
//! here, so the list is a multiset. Noise multipliers are noise standard deviation (or scale)
//! divided by the sensitivity under the neighbouring relation the analysis uses: add/remove one
//! record for Poisson subsampling, replace one record for sampling without replacement, either for
//! the mechanisms without sampling.

use crate::error::{Error, Result};

/// One mechanism, applied once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mechanism {
    /// Gaussian noise of standard deviation `noise_multiplier × L2 sensitivity`.
    Gaussian { noise_multiplier: f64 },
    /// Laplace noise of scale `b`; `epsilon = L1 sensitivity / b` (it is `epsilon`-DP).
    Laplace { epsilon: f64 },
    /// k-ary randomised response: the true category with probability `e^ε / (e^ε + k − 1)`, each
    /// other one with probability `1 / (e^ε + k − 1)`.
    RandomizedResponse { epsilon: f64, categories: u32 },
    /// An `epsilon`-bounded-range mechanism, e.g. the exponential mechanism that samples with
    /// probability ∝ exp(ε·u / (2Δu)) (Durfee & Rogers 2019; Cesar & Rogers 2021).
    Exponential { epsilon: f64 },
    /// The Gaussian mechanism on a Poisson subsample (each record kept with probability
    /// `sample_rate`): DP-SGD; add/remove-one neighbours.
    PoissonGaussian { noise_multiplier: f64, sample_rate: f64 },
    /// The Gaussian mechanism on a uniformly drawn subset of fixed size `sample_rate × n`;
    /// replace-one neighbours (Wang, Balle & Kasiviswanathan 2019).
    WorGaussian { noise_multiplier: f64, sample_rate: f64 },
}

/// The neighbouring relation an analysis assumes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// Holds under either relation (the sensitivity is taken under the one the user means).
    Any,
    AddRemove,
    ReplaceOne,
}

/// A mechanism repeated `count` times.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Component {
    pub mechanism: Mechanism,
    pub count: u64,
}

impl Component {
    pub fn new(mechanism: Mechanism, count: u64) -> Self {
        Component { mechanism, count }
    }
}

fn positive_finite(name: &str, what: &str, v: f64) -> Result<()> {
    if v > 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{what}: {name} must be positive and finite, got {v}"
        )))
    }
}

fn check_rate(what: &str, q: f64) -> Result<()> {
    if q > 0.0 && q <= 1.0 {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{what}: sample_rate must lie in (0, 1], got {q} (batch size / number of records)"
        )))
    }
}

impl Mechanism {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Mechanism::Gaussian { .. } => "Gaussian mechanism",
            Mechanism::Laplace { .. } => "Laplace mechanism",
            Mechanism::RandomizedResponse { .. } => "randomised response",
            Mechanism::Exponential { .. } => "exponential mechanism",
            Mechanism::PoissonGaussian { .. } => "Poisson-subsampled Gaussian mechanism",
            Mechanism::WorGaussian { .. } => "subsampled (without replacement) Gaussian mechanism",
        }
    }

    /// Checks every parameter; the message names the argument and the accepted range.
    pub fn validate(&self) -> Result<()> {
        let what = self.name();
        match *self {
            Mechanism::Gaussian { noise_multiplier } => positive_finite("noise_multiplier", what, noise_multiplier),
            Mechanism::Laplace { epsilon } | Mechanism::Exponential { epsilon } => {
                positive_finite("epsilon", what, epsilon)
            }
            Mechanism::RandomizedResponse { epsilon, categories } => {
                positive_finite("epsilon", what, epsilon)?;
                if categories < 2 {
                    return Err(Error::invalid(format!(
                        "{what}: categories must be at least 2, got {categories}"
                    )));
                }
                Ok(())
            }
            Mechanism::PoissonGaussian { noise_multiplier, sample_rate }
            | Mechanism::WorGaussian { noise_multiplier, sample_rate } => {
                positive_finite("noise_multiplier", what, noise_multiplier)?;
                check_rate(what, sample_rate)
            }
        }
    }

    pub fn relation(&self) -> Relation {
        match self {
            Mechanism::PoissonGaussian { sample_rate, .. } if *sample_rate < 1.0 => Relation::AddRemove,
            Mechanism::WorGaussian { sample_rate, .. } if *sample_rate < 1.0 => Relation::ReplaceOne,
            _ => Relation::Any,
        }
    }

    /// ρ of the tightest zCDP guarantee known in closed form, or `None` when the mechanism has no
    /// finite zCDP bound (subsampled Gaussians).
    pub fn zcdp_rho(&self) -> Option<f64> {
        match *self {
            Mechanism::Gaussian { noise_multiplier: z } => Some(0.5 / (z * z)),
            // ε-DP implies (ε²/2)-zCDP (Bun & Steinke 2016, Prop. 1.4).
            Mechanism::Laplace { epsilon } | Mechanism::RandomizedResponse { epsilon, .. } => {
                Some(0.5 * epsilon * epsilon)
            }
            // ε-bounded range implies (ε²/8)-zCDP (Cesar & Rogers 2021).
            Mechanism::Exponential { epsilon } => Some(epsilon * epsilon / 8.0),
            Mechanism::PoissonGaussian { noise_multiplier: z, sample_rate }
            | Mechanism::WorGaussian { noise_multiplier: z, sample_rate } => {
                (sample_rate >= 1.0).then(|| 0.5 / (z * z))
            }
        }
    }

    /// Whether the mechanism adds Gaussian noise that [`Mechanism::scale_noise`] scales.
    pub fn has_gaussian_noise(&self) -> bool {
        matches!(
            self,
            Mechanism::Gaussian { .. } | Mechanism::PoissonGaussian { .. } | Mechanism::WorGaussian { .. }
        )
    }

    /// The same mechanism with its Gaussian noise multiplied by `factor` (others unchanged).
    pub fn scale_noise(&self, factor: f64) -> Mechanism {
        match *self {
            Mechanism::Gaussian { noise_multiplier } => Mechanism::Gaussian { noise_multiplier: noise_multiplier * factor },
            Mechanism::PoissonGaussian { noise_multiplier, sample_rate } => Mechanism::PoissonGaussian {
                noise_multiplier: noise_multiplier * factor,
                sample_rate,
            },
            Mechanism::WorGaussian { noise_multiplier, sample_rate } => Mechanism::WorGaussian {
                noise_multiplier: noise_multiplier * factor,
                sample_rate,
            },
            other => other,
        }
    }
}

/// Validates a composition: every parameter, positive counts, and one neighbouring relation.
pub fn validate(components: &[Component]) -> Result<Relation> {
    let mut relation = Relation::Any;
    for c in components {
        c.mechanism.validate()?;
        if c.count == 0 {
            return Err(Error::invalid(format!(
                "{}: count must be at least 1, got 0",
                c.mechanism.name()
            )));
        }
        match (relation, c.mechanism.relation()) {
            (_, Relation::Any) => {}
            (Relation::Any, r) => relation = r,
            (a, b) if a == b => {}
            _ => {
                return Err(Error::invalid(
                    "cannot compose Poisson subsampling (add/remove-one neighbours) with sampling \
                     without replacement (replace-one neighbours) in one analysis; account for them \
                     separately",
                ))
            }
        }
    }
    Ok(relation)
}

/// Merges repeated identical mechanisms into one component each (counts add up, saturating).
pub fn canonical(components: &[Component]) -> Vec<Component> {
    let mut out: Vec<Component> = Vec::with_capacity(components.len());
    for c in components {
        if let Some(existing) = out.iter_mut().find(|e| e.mechanism == c.mechanism) {
            existing.count = existing.count.saturating_add(c.count);
        } else {
            out.push(*c);
        }
    }
    out
}

/// `Σ count·ε` when every component is pure ε-DP (Laplace, randomised response, bounded range):
/// basic composition, a valid ε at every δ.
pub fn pure_epsilon(components: &[Component]) -> Option<f64> {
    let mut total = 0.0;
    for c in components {
        match c.mechanism {
            Mechanism::Laplace { epsilon } | Mechanism::RandomizedResponse { epsilon, .. } | Mechanism::Exponential { epsilon } => {
                total += epsilon * c.count as f64
            }
            _ => return None,
        }
    }
    Some(total)
}

/// The total ρ of a composition under zCDP, or an error naming a mechanism without a zCDP bound.
pub fn zcdp_rho(components: &[Component]) -> Result<f64> {
    validate(components)?;
    let mut rho = 0.0;
    for c in components {
        match c.mechanism.zcdp_rho() {
            Some(r) => rho += r * c.count as f64,
            None => {
                return Err(Error::invalid(format!(
                    "the {} has no finite zCDP guarantee; use the RDP or PLD accountant",
                    c.mechanism.name()
                )))
            }
        }
    }
    Ok(rho)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_problem() {
        let bad = [
            Mechanism::Gaussian { noise_multiplier: 0.0 },
            Mechanism::Gaussian { noise_multiplier: -1.0 },
            Mechanism::Gaussian { noise_multiplier: f64::NAN },
            Mechanism::PoissonGaussian { noise_multiplier: 1.0, sample_rate: 0.0 },
            Mechanism::PoissonGaussian { noise_multiplier: 1.0, sample_rate: 1.5 },
            Mechanism::RandomizedResponse { epsilon: 1.0, categories: 1 },
            Mechanism::Laplace { epsilon: f64::INFINITY },
        ];
        for m in bad {
            let e = m.validate().unwrap_err().to_string();
            assert!(e.contains(m.name()), "{e}");
        }
        let zero = [Component::new(Mechanism::Gaussian { noise_multiplier: 1.0 }, 0)];
        assert!(validate(&zero).is_err());
    }

    #[test]
    fn relations_do_not_mix() {
        let p = Component::new(Mechanism::PoissonGaussian { noise_multiplier: 1.0, sample_rate: 0.1 }, 1);
        let w = Component::new(Mechanism::WorGaussian { noise_multiplier: 1.0, sample_rate: 0.1 }, 1);
        let g = Component::new(Mechanism::Gaussian { noise_multiplier: 1.0 }, 1);
        assert_eq!(validate(&[p, g]).unwrap(), Relation::AddRemove);
        assert_eq!(validate(&[w, g]).unwrap(), Relation::ReplaceOne);
        assert!(validate(&[p, w]).is_err());
    }

    #[test]
    fn canonical_merges_counts() {
        let g = Component::new(Mechanism::Gaussian { noise_multiplier: 1.0 }, 3);
        let l = Component::new(Mechanism::Laplace { epsilon: 1.0 }, 1);
        let c = canonical(&[g, l, g]);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].count, 6);
    }

    #[test]
    fn zcdp_of_a_composition() {
        let g = Component::new(Mechanism::Gaussian { noise_multiplier: 2.0 }, 4);
        assert!((zcdp_rho(&[g]).unwrap() - 0.5).abs() < 1e-15);
        let p = Component::new(Mechanism::PoissonGaussian { noise_multiplier: 1.0, sample_rate: 0.1 }, 1);
        assert!(zcdp_rho(&[p]).unwrap_err().to_string().contains("zCDP"));
    }
}
