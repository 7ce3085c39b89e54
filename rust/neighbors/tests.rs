//! Unit tests of the neighbour engine: every path against a plain brute-force oracle.

use super::metric::{distance, L1K, L2K, MixedK, SENTINEL};
use super::*;

/// Sorted (distance, index) lists by the canonical distance, computed one pair at a time.
fn oracle(q: &MixedBlock, r: &MixedBlock, metric: &Metric, k: usize, exclude_self: bool) -> Vec<Vec<(f64, u64)>> {
    let (p, c) = (q.n_num, q.n_cat);
    let enc = |x: &[f32]| -> Vec<f32> { x.iter().map(|v| if v.is_nan() { SENTINEL } else { *v }).collect() };
    let (qn, rn) = (enc(q.num), enc(r.num));
    let (wn, wc) = match metric {
        Metric::Mixed(w) => (w.num.clone(), w.cat.clone()),
        Metric::L1 | Metric::L2 => (vec![1.0; p], vec![]),
        Metric::Hamming => (vec![], vec![1.0; c]),
    };
    (0..q.n_rows)
        .map(|qi| {
            let mut all: Vec<(f32, u64)> = (0..r.n_rows)
                .filter(|ri| !(exclude_self && *ri == qi))
                .map(|ri| {
                    let a = (&qn[qi * p..(qi + 1) * p], &q.cat[qi * c..(qi + 1) * c]);
                    let b = (&rn[ri * p..(ri + 1) * p], &r.cat[ri * c..(ri + 1) * c]);
                    let d = match metric {
                        Metric::Mixed(_) | Metric::Hamming => distance::<MixedK>(a.0, a.1, b.0, b.1, &wn, &wc),
                        Metric::L1 => distance::<L1K>(a.0, a.1, b.0, b.1, &wn, &wc),
                        Metric::L2 => distance::<L2K>(a.0, a.1, b.0, b.1, &wn, &wc),
                    };
                    (d, ri as u64)
                })
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            all.into_iter()
                .take(k)
                .map(|(d, i)| {
                    let d = match metric {
                        Metric::L2 => (d as f64).sqrt(),
                        Metric::Hamming => d as f64 / c as f64,
                        _ => d as f64,
                    };
                    (d, i)
                })
                .collect()
        })
        .collect()
}

fn lcg(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    *seed >> 33
}

/// A block on a coarse grid (many ties and duplicates), with missing values if `missing`.
fn grid_block(seed: &mut u64, n: usize, p: usize, c: usize, levels: u64, missing: bool) -> (Vec<f32>, Vec<u32>) {
    let num = (0..n * p)
        .map(|_| match lcg(seed) % (levels + 1) {
            0 if missing => f32::NAN,
            v => v as f32 / levels as f32,
        })
        .collect();
    let cat = (0..n * c)
        .map(|_| match lcg(seed) % 5 {
            0 if missing => MISSING_CODE,
            v => v as u32,
        })
        .collect();
    (num, cat)
}

fn all_options() -> Vec<Options> {
    let mut out = Vec::new();
    for algorithm in [Algorithm::Brute, Algorithm::Tree] {
        for dedup in [Some(false), Some(true)] {
            for simd in [SimdLevel::Scalar, SimdLevel::Avx2, SimdLevel::Avx512] {
                out.push(Options { algorithm, dedup, simd: Some(simd) });
            }
        }
    }
    out
}

fn check_all_paths(q: &MixedBlock, r: &MixedBlock, metric: &Metric, k: usize, exclude_self: bool) {
    let expect = oracle(q, r, metric, k, exclude_self);
    for opts in all_options() {
        let (nb, plan) = knn(q, r, metric, k, exclude_self, &opts).unwrap();
        for (qi, want) in expect.iter().enumerate() {
            for (j, w) in want.iter().enumerate() {
                let got = (nb.distances[qi * k + j], nb.indices[qi * k + j]);
                assert_eq!(got, *w, "query {qi}, rank {j}, {opts:?}, {plan:?}, {}", metric.name());
            }
        }
    }
}

#[test]
fn sdmetrics_vector() {
    // FORMULAS.md: real A=[0,10,3,4,1], B=[x,y,x,z,y]; synthetic A=[5,10,NaN], B=[x,q,y]
    // → DCR = [0.1, 0.5, 0.5] with range 10.
    let rn: Vec<f32> = [0.0, 10.0, 3.0, 4.0, 1.0].iter().map(|v| v / 10.0).collect();
    let rc = [0, 1, 0, 2, 1];
    let qn = [0.5, 1.0, f32::NAN];
    let qc = [0, 3, 1];
    let r = MixedBlock::new(&rn, &rc, 5, 1, 1).unwrap();
    let q = MixedBlock::new(&qn, &qc, 3, 1, 1).unwrap();
    let w = MixedWeights::new(&[1.0], &[1.0]).unwrap();
    let nb = knn_mixed(&q, &r, &w, 1, false).unwrap();
    let expect = [0.1, 0.5, 0.5];
    for (d, e) in nb.distances.iter().zip(expect) {
        assert!((d - e).abs() < 1e-6, "{d} vs {e}");
    }
}

#[test]
fn every_path_matches_the_oracle_mixed() {
    let mut seed = 7u64;
    let (p, c) = (3, 2);
    let (qn, qc) = grid_block(&mut seed, 100, p, c, 8, true);
    let (rn, rc) = grid_block(&mut seed, 700, p, c, 8, true);
    let q = MixedBlock::new(&qn, &qc, 100, p, c).unwrap();
    let r = MixedBlock::new(&rn, &rc, 700, p, c).unwrap();
    let w = Metric::Mixed(MixedWeights::new(&[1.0, 2.0, 0.5], &[1.0, 0.25]).unwrap());
    for k in [1, 4, 17] {
        check_all_paths(&q, &r, &w, k, false);
    }
    check_all_paths(&r, &r, &w, 3, true);
}

#[test]
fn every_path_matches_the_oracle_numeric_and_hamming() {
    let mut seed = 11u64;
    for (p, levels) in [(2, 6), (5, 1000), (20, 1 << 20)] {
        let (qn, _) = grid_block(&mut seed, 50, p, 0, levels, false);
        let (rn, _) = grid_block(&mut seed, 400, p, 0, levels, false);
        let q = MixedBlock::new(&qn, &[], 50, p, 0).unwrap();
        let r = MixedBlock::new(&rn, &[], 400, p, 0).unwrap();
        for metric in [Metric::L1, Metric::L2] {
            check_all_paths(&q, &r, &metric, 3, false);
            check_all_paths(&r, &r, &metric, 2, true);
        }
    }
    let (_, qc) = grid_block(&mut seed, 60, 0, 4, 1, true);
    let (_, rc) = grid_block(&mut seed, 500, 0, 4, 1, true);
    let q = MixedBlock::new(&[], &qc, 60, 0, 4).unwrap();
    let r = MixedBlock::new(&[], &rc, 500, 0, 4).unwrap();
    check_all_paths(&q, &r, &Metric::Hamming, 5, false);
}

#[test]
fn exact_copy_has_distance_zero() {
    let num = [0.123_456_7f32, 0.9, f32::NAN, 0.3, 0.7, 0.1];
    let cat = [4u32, MISSING_CODE, 2, 1];
    let b = MixedBlock::new(&num, &cat, 2, 3, 2).unwrap();
    let w = MixedWeights::new(&[1.0; 3], &[1.0; 2]).unwrap();
    let nb = knn_mixed(&b, &b, &w, 1, false).unwrap();
    assert_eq!(nb.distances, vec![0.0, 0.0]);
    assert_eq!(nb.indices, vec![0, 1]);
    // L2 on large values, where ‖x‖² + ‖y‖² − 2x·y would not cancel exactly.
    let num = [1234.567f32, 9876.543, 1234.568, 9876.543];
    let b = MixedBlock::new(&num, &[], 2, 2, 0).unwrap();
    for opts in all_options() {
        let (nb, _) = knn(&b, &b, &Metric::L2, 1, false, &opts).unwrap();
        assert_eq!(nb.distances, vec![0.0, 0.0]);
    }
}

#[test]
fn duplicates_leave_one_out_is_zero() {
    let num: Vec<f32> = (0..600).map(|i| ((i * 7) % 13) as f32 / 13.0).collect();
    let b = MixedBlock::new(&num, &[], 600, 1, 0).unwrap();
    for opts in all_options() {
        let (nb, _) = knn(&b, &b, &Metric::L1, 2, true, &opts).unwrap();
        assert!(nb.distances.iter().all(|d| *d == 0.0));
        for (qi, pair) in nb.indices.chunks(2).enumerate() {
            assert!(pair[0] < pair[1] && pair[0] != qi as u64 && pair[1] != qi as u64);
        }
    }
}

#[test]
fn auto_plans_dedup_and_tree_on_low_dimensional_data() {
    let mut seed = 3u64;
    let (n, p, c) = (20_000, 1, 3);
    let (num, cat) = grid_block(&mut seed, n, p, c, 10, false);
    let b = MixedBlock::new(&num, &cat, n, p, c).unwrap();
    let w = Metric::Mixed(MixedWeights::uniform(p, c).unwrap());
    let (_, plan) = knn(&b, &b, &w, 1, true, &Options::default()).unwrap();
    assert!(plan.dedup_query && plan.dedup_reference, "{plan:?}");
    let mut seed = 5u64;
    let num: Vec<f32> = (0..n * 2).map(|_| lcg(&mut seed) as f32 / (1u64 << 31) as f32).collect();
    let b = MixedBlock::new(&num, &[], n, 2, 0).unwrap();
    let (_, plan) = knn(&b, &b, &Metric::L2, 1, true, &Options::default()).unwrap();
    assert_eq!(plan.algorithm, Algorithm::Tree, "{plan:?}");
    assert!(!plan.dedup_reference);
}

#[test]
fn n_jobs_gives_the_same_answer() {
    let mut seed = 9u64;
    let (num, _) = grid_block(&mut seed, 3000, 4, 0, 100, false);
    let b = MixedBlock::new(&num, &[], 3000, 4, 0).unwrap();
    let opts = Options { algorithm: Algorithm::Brute, ..Options::default() };
    let one = with_threads(Some(1), || knn(&b, &b, &Metric::L2, 3, true, &opts)).unwrap().unwrap();
    let two = with_threads(Some(2), || knn(&b, &b, &Metric::L2, 3, true, &opts)).unwrap().unwrap();
    assert_eq!(one.0, two.0);
    assert!(with_threads(Some(0), || ()).is_err());
}

#[test]
fn bad_arguments_are_errors() {
    let num = [0.1f32, 0.2];
    let b = MixedBlock::new(&num, &[], 2, 1, 0).unwrap();
    let w = MixedWeights::new(&[1.0], &[]).unwrap();
    assert!(knn_mixed(&b, &b, &w, 3, false).is_err());
    assert!(knn_mixed(&b, &b, &w, 2, true).is_err());
    assert!(knn_mixed(&b, &b, &w, 0, false).is_err());
    assert!(MixedBlock::new(&num, &[], 3, 1, 0).is_err());
    assert!(MixedWeights::new(&[0.0], &[]).is_err());
    assert!(MixedWeights::new(&[f64::NAN], &[]).is_err());
    let o = Options::default();
    // NaN under L2, empty inputs, mismatched widths, wrong metric kinds.
    let nan = [f32::NAN, 0.2];
    let bn = MixedBlock::new(&nan, &[], 2, 1, 0).unwrap();
    assert!(knn(&bn, &b, &Metric::L2, 1, false, &o).unwrap_err().to_string().contains("NaN"));
    let empty = MixedBlock::new(&[], &[], 0, 1, 0).unwrap();
    assert!(knn(&empty, &b, &Metric::L1, 1, false, &o).is_err());
    assert!(knn(&b, &empty, &Metric::L1, 1, false, &o).is_err());
    let wide = [0.1f32, 0.2, 0.3, 0.4];
    let bw = MixedBlock::new(&wide, &[], 2, 2, 0).unwrap();
    assert!(matches!(knn(&b, &bw, &Metric::L1, 1, false, &o), Err(Error::Shape(_))));
    let codes = [1u32, 2];
    let bc = MixedBlock::new(&[], &codes, 2, 0, 1).unwrap();
    assert!(knn(&bc, &bc, &Metric::L2, 1, false, &o).is_err());
    assert!(knn(&b, &b, &Metric::Hamming, 1, false, &o).is_err());
    // Values whose squares would overflow float32 are refused, not silently wrong.
    let big = vec![5.0e17f32; 2 * 2000];
    let bb = MixedBlock::new(&big, &[], 2, 2000, 0).unwrap();
    assert!(knn(&bb, &bb, &Metric::L2, 1, false, &o).unwrap_err().to_string().contains("magnitude"));
    let inf = [f32::INFINITY, 0.2];
    let bi = MixedBlock::new(&inf, &[], 2, 1, 0).unwrap();
    assert!(knn(&bi, &b, &Metric::L1, 1, false, &o).is_err());
}

#[test]
fn l2_dot_product_filter_is_exact_under_cancellation() {
    // Large common offsets with tiny differences: ‖q‖² + ‖r‖² − 2q·r cancels catastrophically,
    // so only the exact re-check gets these right.
    let mut seed = 17u64;
    let (n, p) = (300, 7);
    let mut gen = |n: usize| -> Vec<f32> {
        (0..n * p).map(|j| 1.0e4 + (j % p) as f32 * 1.0e3 + (lcg(&mut seed) % 64) as f32 / 64.0).collect()
    };
    let (qn, rn) = (gen(n), gen(n));
    let q = MixedBlock::new(&qn, &[], n, p, 0).unwrap();
    let r = MixedBlock::new(&rn, &[], n, p, 0).unwrap();
    check_all_paths(&q, &r, &Metric::L2, 4, false);
    check_all_paths(&r, &r, &Metric::L2, 1, false);
}
