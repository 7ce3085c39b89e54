//! Drawing records from a calibrated model along its junction tree.
//!
//! Cliques are visited parents first. A clique's attributes shared with its parent (the
//! separator) are already drawn, so each record draws the clique's other attributes from the
//! conditional `μ_C(· | separator)`. With [`Method::Stratified`] (the default, like mbi's
//! `synthetic_data(method="round")`) the records of one separator value are shuffled and the
//! `r`-th of `m` gets the quantile `(r + U)/m`, so every group's counts are within one of their
//! expectation; [`Method::Iid`] draws every record independently.

use super::index::strides;
use super::model::Model;
use super::rng::Rng;
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Stratified,
    Iid,
}

impl Model {
    /// `n` records as codes, row-major `n × attributes`.
    pub fn sample(&self, n: usize, seed: u64, method: Method) -> Result<Vec<u32>> {
        let d = self.sizes.len();
        if self.sizes.iter().any(|&s| s > u32::MAX as usize) {
            return Err(Error::invalid("domain sizes must fit in 32 bits".to_string()));
        }
        let mut out = vec![
            0u32;
            n.checked_mul(d)
                .ok_or_else(|| Error::invalid("too many rows".to_string()))?
        ];
        let mut rng = Rng::new(seed);
        let tree = &self.tree;
        for &c in &tree.order {
            let clique = &tree.cliques[c];
            let dims = &tree.dims[c];
            let sep = &tree.sep[c];
            let free: Vec<usize> = clique
                .iter()
                .copied()
                .filter(|a| sep.binary_search(a).is_err())
                .collect();
            if free.is_empty() {
                continue;
            }
            let sdims: Vec<usize> = sep.iter().map(|&a| self.sizes[a]).collect();
            let fdims: Vec<usize> = free.iter().map(|&a| self.sizes[a]).collect();
            let (ns, nf) = (sdims.iter().product::<usize>(), fdims.iter().product::<usize>());
            // Table laid out [separator value][free value].
            let sst = strides(&sdims);
            let fst = strides(&fdims);
            let mut table = vec![0.0; ns * nf];
            let k = clique.len();
            let mut digits = vec![0usize; k];
            let (mut si, mut fi) = (0usize, 0usize);
            let axis_s: Vec<usize> = clique
                .iter()
                .map(|a| sep.binary_search(a).map(|p| sst[p]).unwrap_or(0))
                .collect();
            let axis_f: Vec<usize> = clique
                .iter()
                .map(|a| free.binary_search(a).map(|p| fst[p]).unwrap_or(0))
                .collect();
            for &v in &self.mu[c] {
                table[si * nf + fi] = v.max(0.0);
                let mut j = k;
                while j > 0 {
                    j -= 1;
                    digits[j] += 1;
                    si += axis_s[j];
                    fi += axis_f[j];
                    if digits[j] < dims[j] {
                        break;
                    }
                    si -= axis_s[j] * dims[j];
                    fi -= axis_f[j] * dims[j];
                    digits[j] = 0;
                }
            }
            // Group records by separator value (counting sort).
            let key: Vec<usize> = (0..n)
                .map(|r| sep.iter().zip(&sst).map(|(&a, &s)| out[r * d + a] as usize * s).sum())
                .collect();
            let mut start = vec![0usize; ns + 1];
            for &g in &key {
                start[g + 1] += 1;
            }
            for g in 0..ns {
                start[g + 1] += start[g];
            }
            let mut fill = start.clone();
            let mut rows = vec![0usize; n];
            for (r, &g) in key.iter().enumerate() {
                rows[fill[g]] = r;
                fill[g] += 1;
            }
            let mut cdf = vec![0.0; nf];
            for g in 0..ns {
                let group = &mut rows[start[g]..start[g + 1]];
                let m = group.len();
                if m == 0 {
                    continue;
                }
                let probs = &table[g * nf..(g + 1) * nf];
                let mut acc = 0.0;
                for (c, p) in cdf.iter_mut().zip(probs) {
                    acc += p;
                    *c = acc;
                }
                let uniform = !(acc > 0.0 && acc.is_finite());
                rng.shuffle(group);
                let mut cursor = 0usize;
                for (rank, &r) in group.iter().enumerate() {
                    let v = if uniform {
                        rng.below(nf)
                    } else {
                        let u = match method {
                            Method::Stratified => (rank as f64 + rng.uniform()) / m as f64,
                            Method::Iid => rng.uniform(),
                        } * acc;
                        match method {
                            // Quantiles rise with the rank: walk the CDF forward.
                            Method::Stratified => {
                                while cursor + 1 < nf && cdf[cursor] <= u {
                                    cursor += 1;
                                }
                                cursor
                            }
                            Method::Iid => cdf.partition_point(|&c| c <= u).min(nf - 1),
                        }
                    };
                    // Skip zero-probability values the walk may land on at the boundary.
                    let v = if !uniform && probs[v] <= 0.0 {
                        (v..nf)
                            .find(|&x| probs[x] > 0.0)
                            .or_else(|| (0..v).rev().find(|&x| probs[x] > 0.0))
                            .unwrap_or(v)
                    } else {
                        v
                    };
                    for (p, &a) in free.iter().enumerate() {
                        out[r * d + a] = ((v / fst[p]) % fdims[p]) as u32;
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marginals::model::tests::{brute_joint, random_model};

    #[test]
    fn samples_follow_the_model() {
        for (seed, method) in [(1u64, Method::Stratified), (2, Method::Iid)] {
            let model = random_model(seed + 20, 4, 3);
            let joint = brute_joint(&model);
            let n = 60_000;
            let codes = model.sample(n, 9, method).unwrap();
            let mut counts = vec![0.0; joint.len()];
            let st = strides(&model.sizes);
            for row in codes.chunks(4) {
                let i: usize = row.iter().zip(&st).map(|(&v, &s)| v as usize * s).sum();
                counts[i] += 1.0;
            }
            let tv: f64 = counts
                .iter()
                .zip(&joint)
                .map(|(c, p)| (c / n as f64 - p / model.total).abs())
                .sum::<f64>()
                / 2.0;
            assert!(tv < 0.02, "{method:?}: total variation {tv}");
            assert_eq!(
                model.sample(100, 5, method).unwrap(),
                model.sample(100, 5, method).unwrap()
            );
        }
    }

    #[test]
    fn stratified_one_way_counts_are_tight() {
        let model = random_model(77, 3, 2);
        let n = 10_000;
        let codes = model.sample(n, 1, Method::Stratified).unwrap();
        let root = model.tree.order[0];
        let clique = &model.tree.cliques[root];
        let st = strides(&model.tree.dims[root]);
        let mut counts = vec![0.0; model.mu[root].len()];
        for row in codes.chunks(3) {
            let i: usize = clique.iter().zip(&st).map(|(&a, &s)| row[a] as usize * s).sum();
            counts[i] += 1.0;
        }
        for (c, m) in counts.iter().zip(&model.mu[root]) {
            assert!(
                (c - m / model.total * n as f64).abs() <= 1.0 + 1e-9,
                "{c} vs {}",
                m / model.total * n as f64
            );
        }
    }
}
