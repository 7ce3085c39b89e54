//! Criterion benches of the Gaussian KDE kernel: scalar, AVX2 and the detected instruction set,
//! 20,000 sample points × 1,000 queries, d = 10 (`benches/python/bench_density.py` runs the anchor
//! case, 100k × 10k, side by side with scipy).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use synthrisk::density::{Bandwidth, Covariance, GaussianKde, Simd};

fn sample(n: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n * d)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let (n, m, d) = (20_000, 1_000, 10);
    let data = sample(n, d, 1);
    let queries = sample(m, d, 2);
    let kde = GaussianKde::fit(&data, n, d, None, Bandwidth::Scott, Covariance::Full).unwrap();
    let mut group = c.benchmark_group("kde_20k_x_1k_d10");
    group.sample_size(10);
    group.throughput(Throughput::Elements((n * m) as u64));
    for level in [Simd::Scalar, Simd::Avx2, Simd::detect()] {
        group.bench_function(format!("{level:?}"), |b| {
            b.iter(|| kde.log_density_with(black_box(&queries), level).unwrap())
        });
    }
    group.bench_function("fit", |b| {
        b.iter(|| GaussianKde::fit(black_box(&data), n, d, None, Bandwidth::Scott, Covariance::Full).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
