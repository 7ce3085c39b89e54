//! Contingency tables, junction-tree inference and Private-PGM-style estimation for the
//! marginal-based generators (MST, AIM, PrivBayes, independent marginals).
//!
//! * [`count::count_marginals`]: many contingency tables from encoded columns in one pass over
//!   the rows (parallel over row chunks).
//! * [`jtree::JunctionTree`]: triangulation with Private-PGM's greedy elimination order, maximal
//!   cliques, a maximum spanning tree; [`jtree::model_cells`] sizes a hypothetical model (AIM's
//!   filter).
//! * [`model::Model`]: log-potentials on cliques and belief propagation in log space (f64,
//!   vectorised `exp`); [`estimate`] fits them to noisy marginals by mirror descent with an Armijo
//!   line search; [`project`] computes marginals over any attribute set in batches; [`sample`]
//!   draws records.
//!
//! Attributes are indices `0..sizes.len()`; a clique is a strictly increasing list of them; a
//! table over a clique is row-major (last attribute fastest) and holds counts in `f64`.

pub mod count;
pub mod estimate;
pub mod hier;
pub mod index;
pub mod jtree;
pub mod mathx;
pub mod model;
pub mod project;
pub mod rng;
pub mod sample;

use crate::error::{Error, Result};

pub use count::{count_marginals, Codes};
pub use estimate::{estimate_total, FitOptions, FitReport, Measurement};
pub use jtree::{maximal_cliques, model_cells, JunctionTree};
pub use model::Model;
pub use sample::Method;

/// No single call allocates tables of more cells than this (16 GiB of f64).
pub const MAX_CELLS: usize = 1 << 31;

/// Checks that a clique is a strictly increasing list of attributes below `n_attrs`.
pub fn check_clique(clique: &[usize], n_attrs: usize) -> Result<()> {
    if clique.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::invalid(format!(
            "clique {clique:?} must list distinct attributes in increasing order"
        )));
    }
    if let Some(&a) = clique.iter().find(|&&a| a >= n_attrs) {
        return Err(Error::invalid(format!(
            "clique {clique:?} names attribute {a}, but there are only {n_attrs}"
        )));
    }
    Ok(())
}

/// Runs `f` on `n_jobs` threads (`None`: rayon's global pool, all cores or `RAYON_NUM_THREADS`).
pub fn with_threads<T: Send>(n_jobs: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T> {
    match n_jobs {
        None => Ok(f()),
        Some(0) => Err(Error::invalid("n_jobs must be at least 1 (or None for all cores)")),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| Error::invalid(format!("could not start {n} threads: {e}")))?;
            Ok(pool.install(f))
        }
    }
}
