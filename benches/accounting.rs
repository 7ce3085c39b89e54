//! Criterion benches of the accounting engine at the DP-SGD reference point
//! (σ = 1.1, q = 256/60000, 14,040 steps, δ = 1e-5). `benches/python/bench_accounting.py` runs
//! the same queries side by side with opacus and dp_accounting.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use synthrisk::accounting::calibrate::{self, Accountant};
use synthrisk::accounting::pld::{self, PldOptions};
use synthrisk::accounting::rdp::{self, RdpOptions};
use synthrisk::accounting::{Component, Mechanism};

fn reference() -> Vec<Component> {
    vec![Component::new(
        Mechanism::PoissonGaussian { noise_multiplier: 1.1, sample_rate: 256.0 / 60000.0 },
        14040,
    )]
}

fn bench(c: &mut Criterion) {
    let comp = reference();
    c.bench_function("rdp_epsilon_dpsgd", |b| {
        b.iter(|| rdp::epsilon(black_box(&comp), 1e-5, &RdpOptions::default()).unwrap())
    });
    c.bench_function("rdp_epsilon_dpsgd_refined", |b| {
        b.iter(|| rdp::epsilon(black_box(&comp), 1e-5, &RdpOptions { orders: None, refine: true }).unwrap())
    });
    let base = vec![Component::new(
        Mechanism::PoissonGaussian { noise_multiplier: 1.0, sample_rate: 256.0 / 60000.0 },
        14040,
    )];
    let rdp = Accountant::Rdp(RdpOptions::default());
    c.bench_function("noise_for_epsilon_2_rdp", |b| {
        b.iter(|| calibrate::noise_scale(black_box(&base), 2.0, 1e-5, &rdp, 1e-6).unwrap())
    });
    let mut group = c.benchmark_group("pld");
    group.sample_size(20);
    for h in [1e-3, 1e-4] {
        let o = PldOptions { discretization: Some(h), ..Default::default() };
        group.bench_function(format!("pld_epsilon_dpsgd_h{h}"), |b| b.iter(|| pld::epsilon(black_box(&comp), 1e-5, &o).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
