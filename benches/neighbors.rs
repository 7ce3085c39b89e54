//! Criterion benches of every neighbour-search path (`cargo bench --bench neighbors`).
//!
//! One group per path, each forced through `Options`: SIMD brute force (mixed, L1, L2,
//! Hamming; AVX2 and the best level), the k-d tree on low-dimensional data, and the
//! deduplicated path on a low-cardinality table. Sizes are small enough for a quick run; the
//! Python bench (`benches/python/bench_neighbors.py`) covers the large cases and the anchors.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use synthrisk::neighbors::{knn, Algorithm, Metric, MixedBlock, MixedWeights, Options, SimdLevel};

fn lcg(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    *seed >> 33
}

fn uniform(seed: &mut u64, n: usize) -> Vec<f32> {
    (0..n).map(|_| lcg(seed) as f32 / (1u64 << 31) as f32).collect()
}

fn codes(seed: &mut u64, n: usize, levels: u64) -> Vec<u32> {
    (0..n).map(|_| (lcg(seed) % levels) as u32).collect()
}

fn opts(algorithm: Algorithm, dedup: bool, simd: Option<SimdLevel>) -> Options {
    Options { algorithm, dedup: Some(dedup), simd }
}

fn brute(c: &mut Criterion) {
    let mut g = c.benchmark_group("brute");
    g.sample_size(10);
    let mut seed = 1u64;
    let n = 4096;
    let (p, cc) = (6, 4);
    let (qn, qc) = (uniform(&mut seed, n * p), codes(&mut seed, n * cc, 5));
    let (rn, rc) = (uniform(&mut seed, n * p), codes(&mut seed, n * cc, 5));
    let q = MixedBlock::new(&qn, &qc, n, p, cc).unwrap();
    let r = MixedBlock::new(&rn, &rc, n, p, cc).unwrap();
    let mixed = Metric::Mixed(MixedWeights::uniform(p, cc).unwrap());
    let d = 20;
    let (xn, yn) = (uniform(&mut seed, n * d), uniform(&mut seed, n * d));
    let x = MixedBlock::new(&xn, &[], n, d, 0).unwrap();
    let y = MixedBlock::new(&yn, &[], n, d, 0).unwrap();
    let (hq, hr) = (codes(&mut seed, n * 8, 4), codes(&mut seed, n * 8, 4));
    let hqb = MixedBlock::new(&[], &hq, n, 0, 8).unwrap();
    let hrb = MixedBlock::new(&[], &hr, n, 0, 8).unwrap();
    g.throughput(Throughput::Elements((n * n) as u64));
    for simd in [SimdLevel::Avx2, SimdLevel::Avx512] {
        let o = opts(Algorithm::Brute, false, Some(simd));
        g.bench_function(BenchmarkId::new("mixed_6+4", simd.name()), |b| {
            b.iter(|| knn(black_box(&q), &r, &mixed, 1, false, &o).unwrap())
        });
        g.bench_function(BenchmarkId::new("l2_d20", simd.name()), |b| {
            b.iter(|| knn(black_box(&x), &y, &Metric::L2, 1, false, &o).unwrap())
        });
        g.bench_function(BenchmarkId::new("l1_d20", simd.name()), |b| {
            b.iter(|| knn(black_box(&x), &y, &Metric::L1, 1, false, &o).unwrap())
        });
        g.bench_function(BenchmarkId::new("hamming_8", simd.name()), |b| {
            b.iter(|| knn(black_box(&hqb), &hrb, &Metric::Hamming, 1, false, &o).unwrap())
        });
    }
    let o = opts(Algorithm::Brute, false, None);
    g.bench_function("l2_d20_k10", |b| b.iter(|| knn(black_box(&x), &y, &Metric::L2, 10, false, &o).unwrap()));
    g.finish();
}

fn tree(c: &mut Criterion) {
    let mut g = c.benchmark_group("tree");
    g.sample_size(10);
    let mut seed = 2u64;
    let n = 20_000;
    for d in [2usize, 4] {
        let (xn, yn) = (uniform(&mut seed, n * d), uniform(&mut seed, n * d));
        let x = MixedBlock::new(&xn, &[], n, d, 0).unwrap();
        let y = MixedBlock::new(&yn, &[], n, d, 0).unwrap();
        g.throughput(Throughput::Elements((n * n) as u64));
        for algorithm in [Algorithm::Tree, Algorithm::Brute] {
            let o = opts(algorithm, false, None);
            g.bench_function(BenchmarkId::new(format!("l2_d{d}"), algorithm.name()), |b| {
                b.iter(|| knn(black_box(&x), &y, &Metric::L2, 1, false, &o).unwrap())
            });
        }
    }
    g.finish();
}

fn dedup(c: &mut Criterion) {
    // A health-table-like block: one integer column and five low-cardinality codes.
    let mut g = c.benchmark_group("dedup");
    g.sample_size(10);
    let mut seed = 3u64;
    let n = 50_000;
    let num: Vec<f32> = (0..n).map(|_| (lcg(&mut seed) % 12) as f32 / 11.0).collect();
    let cat = codes(&mut seed, n * 5, 4);
    let b = MixedBlock::new(&num, &cat, n, 1, 5).unwrap();
    let w = Metric::Mixed(MixedWeights::uniform(1, 5).unwrap());
    g.throughput(Throughput::Elements((n * n) as u64));
    for (name, o) in [("auto", Options::default()), ("brute_no_dedup", opts(Algorithm::Brute, false, None))] {
        g.bench_function(BenchmarkId::new("mixed_loo_1+5", name), |bch| {
            bch.iter(|| knn(black_box(&b), &b, &w, 1, true, &o).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, brute, tree, dedup);
criterion_main!(benches);
