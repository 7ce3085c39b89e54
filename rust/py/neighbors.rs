//! Bindings for `crate::neighbors`.

use super::to_py_err;
use crate::error::Error;
use crate::neighbors::{knn, with_threads, Algorithm, Metric, MixedBlock, MixedWeights, Options, SimdLevel};
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

type KnnResult<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<u64>>, Bound<'py, PyDict>);

fn parse_metric(name: &str, wn: &[f64], wc: &[f64]) -> Result<Metric, Error> {
    Ok(match name {
        "mixed" => Metric::Mixed(MixedWeights::new(wn, wc)?),
        "l1" => Metric::L1,
        "l2" => Metric::L2,
        "hamming" => Metric::Hamming,
        other => return Err(Error::invalid(format!("metric must be 'mixed', 'l1', 'l2' or 'hamming', got {other:?}"))),
    })
}

fn parse_algorithm(name: &str) -> Result<Algorithm, Error> {
    Ok(match name {
        "auto" => Algorithm::Auto,
        "brute" => Algorithm::Brute,
        "tree" => Algorithm::Tree,
        other => return Err(Error::invalid(format!("algorithm must be 'auto', 'brute' or 'tree', got {other:?}"))),
    })
}

/// Exact k nearest neighbours (see `synthrisk.neighbors`); returns distances, indices and the
/// plan the engine chose.
#[pyfunction]
#[pyo3(signature = (query_num, query_cat, ref_num, ref_cat, metric, num_weights, cat_weights, k, exclude_self=false, n_jobs=None, algorithm="auto", dedup=None))]
#[allow(clippy::too_many_arguments)]
fn knn_py<'py>(
    py: Python<'py>,
    query_num: PyReadonlyArray2<'py, f32>,
    query_cat: PyReadonlyArray2<'py, u32>,
    ref_num: PyReadonlyArray2<'py, f32>,
    ref_cat: PyReadonlyArray2<'py, u32>,
    metric: &str,
    num_weights: PyReadonlyArray1<'py, f64>,
    cat_weights: PyReadonlyArray1<'py, f64>,
    k: usize,
    exclude_self: bool,
    n_jobs: Option<usize>,
    algorithm: &str,
    dedup: Option<bool>,
) -> PyResult<KnnResult<'py>> {
    let (qn, qc, rn, rc) = (query_num.as_slice()?, query_cat.as_slice()?, ref_num.as_slice()?, ref_cat.as_slice()?);
    let nq = query_num.shape()[0];
    if query_cat.shape()[0] != nq || ref_cat.shape()[0] != ref_num.shape()[0] {
        return Err(to_py_err(Error::shape("numeric and categorical blocks of one side need the same number of rows")));
    }
    let q = MixedBlock::new(qn, qc, nq, query_num.shape()[1], query_cat.shape()[1]).map_err(to_py_err)?;
    let r = MixedBlock::new(rn, rc, ref_num.shape()[0], ref_num.shape()[1], ref_cat.shape()[1]).map_err(to_py_err)?;
    let metric = parse_metric(metric, num_weights.as_slice()?, cat_weights.as_slice()?).map_err(to_py_err)?;
    let options = Options { algorithm: parse_algorithm(algorithm).map_err(to_py_err)?, dedup, simd: None };
    let (result, plan) = py
        .detach(|| with_threads(n_jobs, || knn(&q, &r, &metric, k, exclude_self, &options)))
        .and_then(|r| r)
        .map_err(to_py_err)?;
    let info = PyDict::new(py);
    info.set_item("algorithm", plan.algorithm.name())?;
    info.set_item("simd", plan.simd.name())?;
    info.set_item("query_groups", plan.query_groups)?;
    info.set_item("reference_groups", plan.reference_groups)?;
    info.set_item("dedup_query", plan.dedup_query)?;
    info.set_item("dedup_reference", plan.dedup_reference)?;
    info.set_item("pilot_rows_per_query", plan.pilot_rows_per_query)?;
    let d = numpy::ndarray::Array2::from_shape_vec((nq, k), result.distances).expect("n_query × k");
    let i = numpy::ndarray::Array2::from_shape_vec((nq, k), result.indices).expect("n_query × k");
    Ok((d.into_pyarray(py), i.into_pyarray(py), info))
}

/// The instruction set the kernels use on this CPU (`SYNTHRISK_SIMD` caps it).
#[pyfunction]
fn simd_level() -> &'static str {
    SimdLevel::detect().name()
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(knn_py, m)?)?;
    m.add_function(wrap_pyfunction!(simd_level, m)?)?;
    Ok(())
}
