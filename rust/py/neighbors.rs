//! Bindings for `crate::neighbors`.

use super::to_py_err;
use crate::neighbors::{knn_mixed, with_threads, MixedBlock, MixedWeights};
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

type KnnResult<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<u64>>);

/// Exact k nearest neighbours under the mixed-type distance (see `synthrisk.neighbors`).
#[pyfunction]
#[pyo3(signature = (query_num, query_cat, ref_num, ref_cat, num_weights, cat_weights, k, exclude_self=false, n_jobs=None))]
#[allow(clippy::too_many_arguments)]
fn knn_mixed_py<'py>(
    py: Python<'py>,
    query_num: PyReadonlyArray2<'py, f32>,
    query_cat: PyReadonlyArray2<'py, u32>,
    ref_num: PyReadonlyArray2<'py, f32>,
    ref_cat: PyReadonlyArray2<'py, u32>,
    num_weights: PyReadonlyArray1<'py, f64>,
    cat_weights: PyReadonlyArray1<'py, f64>,
    k: usize,
    exclude_self: bool,
    n_jobs: Option<usize>,
) -> PyResult<KnnResult<'py>> {
    let (qn, qc, rn, rc) = (query_num.as_slice()?, query_cat.as_slice()?, ref_num.as_slice()?, ref_cat.as_slice()?);
    let (nq, p) = (query_num.shape()[0], query_num.shape()[1]);
    let (nr, c) = (ref_num.shape()[0], query_cat.shape()[1]);
    let q = MixedBlock::new(qn, qc, nq, p, c).map_err(to_py_err)?;
    let r = MixedBlock::new(rn, rc, nr, ref_num.shape()[1], ref_cat.shape()[1]).map_err(to_py_err)?;
    let w = MixedWeights::new(num_weights.as_slice()?, cat_weights.as_slice()?).map_err(to_py_err)?;
    let result = py
        .detach(|| with_threads(n_jobs, || knn_mixed(&q, &r, &w, k, exclude_self)))
        .and_then(|r| r)
        .map_err(to_py_err)?;
    let rows = nq;
    let d = numpy::ndarray::Array2::from_shape_vec((rows, k), result.distances).expect("shape");
    let i = numpy::ndarray::Array2::from_shape_vec((rows, k), result.indices).expect("shape");
    Ok((d.into_pyarray(py), i.into_pyarray(py)))
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(knn_mixed_py, m)?)?;
    Ok(())
}
