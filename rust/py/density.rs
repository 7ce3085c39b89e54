//! Bindings for `crate::density`: a fitted Gaussian KDE whose evaluation releases the GIL.

use super::to_py_err;
use crate::density::{Bandwidth, Covariance, GaussianKde};
use crate::error::Error;
use crate::neighbors::with_threads;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

/// A Gaussian KDE fitted to a sample (see `synthrisk.privacy.attacks.GaussianKDE`).
#[pyclass(frozen, module = "synthrisk._native", name = "GaussianKde")]
struct PyGaussianKde {
    inner: GaussianKde,
}

#[pymethods]
impl PyGaussianKde {
    #[new]
    #[pyo3(signature = (data, weights=None, bandwidth="scott", factor=None, covariance="full"))]
    fn new(
        py: Python<'_>,
        data: PyReadonlyArray2<'_, f64>,
        weights: Option<PyReadonlyArray1<'_, f64>>,
        bandwidth: &str,
        factor: Option<f64>,
        covariance: &str,
    ) -> PyResult<Self> {
        let (n, d) = (data.shape()[0], data.shape()[1]);
        let bw = match (bandwidth, factor) {
            (_, Some(f)) => Bandwidth::Factor(f),
            ("scott", None) => Bandwidth::Scott,
            ("silverman", None) => Bandwidth::Silverman,
            (other, None) => {
                return Err(to_py_err(Error::invalid(format!(
                    "bandwidth must be 'scott', 'silverman' or a positive number, got {other:?}"
                ))))
            }
        };
        let cov = match covariance {
            "full" => Covariance::Full,
            "diagonal" | "diag" => Covariance::Diagonal,
            other => {
                return Err(to_py_err(Error::invalid(format!(
                    "covariance must be 'full' or 'diagonal', got {other:?}"
                ))))
            }
        };
        let data = data.as_slice()?;
        let weights = match &weights {
            Some(w) => Some(w.as_slice()?),
            None => None,
        };
        let inner = py.detach(|| GaussianKde::fit(data, n, d, weights, bw, cov)).map_err(to_py_err)?;
        Ok(Self { inner })
    }

    /// Log-density at each row of `queries` (shape m × d).
    #[pyo3(signature = (queries, n_jobs=None))]
    fn log_density<'py>(
        &self,
        py: Python<'py>,
        queries: PyReadonlyArray2<'py, f64>,
        n_jobs: Option<usize>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        if queries.shape()[1] != self.inner.dim() {
            return Err(to_py_err(Error::shape(format!(
                "queries have {} columns, the KDE's sample has {}",
                queries.shape()[1],
                self.inner.dim()
            ))));
        }
        let q = queries.as_slice()?;
        let out = py
            .detach(|| with_threads(n_jobs, || self.inner.log_density(q)))
            .and_then(|r| r)
            .map_err(to_py_err)?;
        Ok(out.into_pyarray(py))
    }

    #[getter]
    fn factor(&self) -> f64 {
        self.inner.factor
    }

    #[getter]
    fn n_eff(&self) -> f64 {
        self.inner.n_eff
    }

    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    #[getter]
    fn n_points(&self) -> usize {
        self.inner.n_points()
    }

    /// The kernel covariance matrix (factor² times the sample covariance).
    #[getter]
    fn covariance<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        let d = self.inner.dim();
        numpy::ndarray::Array2::from_shape_vec((d, d), self.inner.covariance.clone())
            .expect("d × d")
            .into_pyarray(py)
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyGaussianKde>()?;
    Ok(())
}
