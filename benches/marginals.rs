//! Criterion benches of the marginal engine (`cargo bench --bench marginals`).
//!
//! Counting many tables in one pass, one mirror-descent fit (belief propagation plus the loss)
//! on an Adult-shaped model, batched projection of every 3-way marginal (AIM's hot step), and
//! sampling. Sizes are small enough for a quick run; `benches/python/bench_marginals.py` covers
//! the real tables and the anchors (mbi, smartnoise-synth).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use synthrisk::marginals::{count_marginals, Codes, FitOptions, Measurement, Method, Model};

/// Domain sizes of UCI Adult with 32 bins per numeric column.
const ADULT: [usize; 15] = [32, 9, 32, 16, 16, 7, 15, 6, 5, 2, 32, 32, 32, 42, 2];

fn lcg(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    *seed >> 33
}

fn triples(d: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for a in 0..d {
        for b in a + 1..d {
            for c in b + 1..d {
                out.push(vec![a, b, c]);
            }
        }
    }
    out
}

/// A model with a few overlapping 3-way cliques and random potentials.
fn model() -> Model {
    let cliques = vec![
        vec![0, 5, 7],
        vec![5, 7, 9],
        vec![3, 4, 5],
        vec![6, 7, 14],
        vec![0, 12, 14],
        vec![8, 13],
    ];
    let mut m = Model::new(&ADULT, &cliques, 48_842.0, usize::MAX).unwrap();
    let mut seed = 3u64;
    let theta = m
        .theta
        .iter()
        .map(|t| t.iter().map(|_| (lcg(&mut seed) % 1000) as f64 / 250.0 - 2.0).collect())
        .collect();
    m.set_theta(theta).unwrap();
    m
}

fn counting(c: &mut Criterion) {
    let mut g = c.benchmark_group("count");
    g.sample_size(10);
    let n = 50_000;
    let mut seed = 1u64;
    let data: Vec<u32> = (0..n * ADULT.len())
        .map(|i| (lcg(&mut seed) % ADULT[i % ADULT.len()] as u64) as u32)
        .collect();
    let codes = Codes::new(&data, n, ADULT.len()).unwrap();
    let cliques = triples(ADULT.len());
    g.throughput(Throughput::Elements((n * cliques.len()) as u64));
    g.bench_function("455 three-way tables, 50k rows", |b| {
        b.iter(|| black_box(count_marginals(&codes, &ADULT, &cliques, None).unwrap()))
    });
    g.finish();
}

fn fitting(c: &mut Criterion) {
    let mut g = c.benchmark_group("fit");
    g.sample_size(10);
    let truth = model();
    let ms: Vec<Measurement> = truth
        .pcliques
        .iter()
        .map(|k| Measurement {
            clique: k.clone(),
            y: truth.project(k, usize::MAX).unwrap(),
            sigma: vec![10.0],
        })
        .collect();
    g.bench_function("100 mirror-descent iterations", |b| {
        b.iter(|| {
            let mut m = Model::new(&ADULT, &truth.pcliques, 1.0, usize::MAX).unwrap();
            let opts = FitOptions {
                iters: 100,
                growth: 1.1,
                ..FitOptions::default()
            };
            black_box(m.fit(&ms, &opts).unwrap())
        })
    });
    g.finish();
}

fn projecting(c: &mut Criterion) {
    let mut g = c.benchmark_group("project");
    g.sample_size(10);
    let m = model();
    let targets = triples(ADULT.len());
    g.throughput(Throughput::Elements(targets.len() as u64));
    g.bench_function("all 455 three-way marginals", |b| {
        b.iter(|| black_box(m.project_many(&targets, usize::MAX).unwrap()))
    });
    g.finish();
}

fn sampling(c: &mut Criterion) {
    let mut g = c.benchmark_group("sample");
    g.sample_size(10);
    let m = model();
    g.throughput(Throughput::Elements(50_000));
    g.bench_function("50k records, stratified", |b| {
        b.iter(|| black_box(m.sample(50_000, 7, Method::Stratified).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, counting, fitting, projecting, sampling);
criterion_main!(benches);
