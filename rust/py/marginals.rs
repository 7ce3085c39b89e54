//! Bindings for `crate::marginals`: counting, junction-tree sizes and the graphical model used
//! by `synthrisk.generators` (MST, AIM, PrivBayes). Every heavy call releases the GIL.

use super::to_py_err;
use crate::error::Error;
use crate::marginals::{
    count_marginals, model_cells, with_threads, Codes, FitOptions, Measurement, Method, Model, MAX_CELLS,
};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;
use std::time::Duration;

fn sorted_cliques(cliques: Vec<Vec<usize>>) -> Vec<Vec<usize>> {
    cliques
        .into_iter()
        .map(|mut c| {
            c.sort_unstable();
            c
        })
        .collect()
}

/// Contingency tables (float64 counts, row-major over each clique's sorted columns) of the
/// cliques over the rows of `codes` (uint32, rows × columns), in one pass.
#[pyfunction]
#[pyo3(signature = (codes, sizes, cliques, weights=None, n_jobs=None))]
fn marginal_counts<'py>(
    py: Python<'py>,
    codes: PyReadonlyArray2<'py, u32>,
    sizes: Vec<usize>,
    cliques: Vec<Vec<usize>>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    n_jobs: Option<usize>,
) -> PyResult<Vec<Bound<'py, PyArray1<f64>>>> {
    let (n, d) = (codes.shape()[0], codes.shape()[1]);
    let data = codes.as_slice()?;
    let w = match &weights {
        Some(w) => Some(w.as_slice()?),
        None => None,
    };
    let codes = Codes::new(data, n, d).map_err(to_py_err)?;
    let tables = py
        .detach(|| with_threads(n_jobs, || count_marginals(&codes, &sizes, &cliques, w)))
        .and_then(|r| r)
        .map_err(to_py_err)?;
    Ok(tables.into_iter().map(|t| t.into_pyarray(py)).collect())
}

/// Cells of the junction tree of a model over `cliques`, and of the models with each candidate
/// added (AIM's size filter): `(base, [per candidate])`.
#[pyfunction]
#[pyo3(signature = (sizes, cliques, candidates=None, n_jobs=None))]
fn model_cells_py(
    py: Python<'_>,
    sizes: Vec<usize>,
    cliques: Vec<Vec<usize>>,
    candidates: Option<Vec<Vec<usize>>>,
    n_jobs: Option<usize>,
) -> PyResult<(usize, Vec<usize>)> {
    let cliques = sorted_cliques(cliques);
    let candidates = sorted_cliques(candidates.unwrap_or_default());
    let n = sizes.len();
    py.detach(|| {
        with_threads(n_jobs, || -> Result<(usize, Vec<usize>), Error> {
            let base = model_cells(n, &sizes, &cliques)?;
            let each = candidates
                .par_iter()
                .map(|c| {
                    let mut all = cliques.clone();
                    all.push(c.clone());
                    model_cells(n, &sizes, &all)
                })
                .collect::<Result<Vec<usize>, Error>>()?;
            Ok((base, each))
        })
    })
    .and_then(|r| r)
    .map_err(to_py_err)
}

/// A graphical model over discrete attributes (see `synthrisk.generators._engine`).
#[pyclass(module = "synthrisk._native", name = "MarginalModel")]
struct PyMarginalModel {
    inner: Model,
}

fn sigma_values(sigma: &Bound<'_, PyAny>) -> PyResult<Vec<f64>> {
    if let Ok(s) = sigma.extract::<f64>() {
        return Ok(vec![s]);
    }
    let arr: PyReadonlyArray1<'_, f64> = sigma.extract()?;
    Ok(arr.as_slice()?.to_vec())
}

#[pymethods]
impl PyMarginalModel {
    /// A model over attributes with domain `sizes` whose potentials cover `cliques`, uniform.
    #[new]
    #[pyo3(signature = (sizes, cliques, total=1.0, max_cells=None))]
    fn new(
        py: Python<'_>,
        sizes: Vec<usize>,
        cliques: Vec<Vec<usize>>,
        total: f64,
        max_cells: Option<usize>,
    ) -> PyResult<Self> {
        let cliques = sorted_cliques(cliques);
        let limit = max_cells.unwrap_or(MAX_CELLS);
        let inner = py
            .detach(|| Model::new(&sizes, &cliques, total, limit))
            .map_err(to_py_err)?;
        Ok(Self { inner })
    }

    /// A model that also covers `cliques`, warm-started from this one's potentials.
    #[pyo3(signature = (cliques, max_cells=None))]
    fn with_cliques(&self, py: Python<'_>, cliques: Vec<Vec<usize>>, max_cells: Option<usize>) -> PyResult<Self> {
        let cliques = sorted_cliques(cliques);
        let limit = max_cells.unwrap_or(self.inner.max_cells);
        let inner = py
            .detach(|| self.inner.with_cliques(&cliques, limit))
            .map_err(to_py_err)?;
        Ok(Self { inner })
    }

    /// Fits the potentials to noisy marginals `[(clique, y, sigma), ...]` by mirror descent;
    /// returns what the fit did.
    #[pyo3(signature = (measurements, iters=1000, tol=None, check_every=50, patience=2, stepsize=None, growth=1.01, total=None, time_limit=None, warm_stepsize=false, n_jobs=None))]
    #[allow(clippy::too_many_arguments)]
    fn fit<'py>(
        &mut self,
        py: Python<'py>,
        measurements: Vec<(Vec<usize>, PyReadonlyArray1<'py, f64>, Bound<'py, PyAny>)>,
        iters: usize,
        tol: Option<f64>,
        check_every: usize,
        patience: usize,
        stepsize: Option<f64>,
        growth: f64,
        total: Option<f64>,
        time_limit: Option<f64>,
        warm_stepsize: bool,
        n_jobs: Option<usize>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let mut ms = Vec::with_capacity(measurements.len());
        for (clique, y, sigma) in measurements {
            let mut clique = clique;
            clique.sort_unstable();
            ms.push(Measurement {
                clique,
                y: y.as_slice()?.to_vec(),
                sigma: sigma_values(&sigma)?,
            });
        }
        if let Some(t) = time_limit {
            if !(t.is_finite() && t > 0.0) {
                return Err(to_py_err(Error::invalid(format!(
                    "time_limit must be positive seconds, got {t}"
                ))));
            }
        }
        let opts = FitOptions {
            iters,
            tol,
            check_every,
            patience,
            stepsize,
            growth,
            total,
            time_limit: time_limit.map(Duration::from_secs_f64),
            warm_stepsize,
        };
        let inner = &mut self.inner;
        let rep = py
            .detach(|| with_threads(n_jobs, || inner.fit(&ms, &opts)))
            .and_then(|r| r)
            .map_err(to_py_err)?;
        let out = PyDict::new(py);
        out.set_item("iterations", rep.iterations)?;
        out.set_item("loss", rep.loss)?;
        out.set_item("initial_loss", rep.initial_loss)?;
        out.set_item("converged", rep.converged)?;
        out.set_item("timed_out", rep.timed_out)?;
        out.set_item("stepsize", rep.stepsize)?;
        out.set_item("total", rep.total)?;
        Ok(out)
    }

    /// The model's marginals (counts) over each clique in `cliques`.
    #[pyo3(signature = (cliques, max_cells=None, n_jobs=None))]
    fn project<'py>(
        &self,
        py: Python<'py>,
        cliques: Vec<Vec<usize>>,
        max_cells: Option<usize>,
        n_jobs: Option<usize>,
    ) -> PyResult<Vec<Bound<'py, PyArray1<f64>>>> {
        let cliques = sorted_cliques(cliques);
        let limit = max_cells.unwrap_or(MAX_CELLS);
        let inner = &self.inner;
        let out = py
            .detach(|| with_threads(n_jobs, || inner.project_many(&cliques, limit)))
            .and_then(|r| r)
            .map_err(to_py_err)?;
        Ok(out.into_iter().map(|t| t.into_pyarray(py)).collect())
    }

    /// The largest walk (cells) projecting onto each clique would take (0 inside a clique);
    /// `project` refuses cliques whose walk exceeds its `max_cells`.
    fn projection_walks(&self, py: Python<'_>, cliques: Vec<Vec<usize>>) -> PyResult<Vec<usize>> {
        let cliques = sorted_cliques(cliques);
        let inner = &self.inner;
        py.detach(|| inner.projection_walks(&cliques)).map_err(to_py_err)
    }

    /// `n` records drawn from the model as codes (uint32, n × attributes).
    #[pyo3(signature = (n, seed, method="stratified"))]
    fn sample<'py>(&self, py: Python<'py>, n: usize, seed: u64, method: &str) -> PyResult<Bound<'py, PyArray2<u32>>> {
        let method = match method {
            "stratified" | "round" => Method::Stratified,
            "iid" | "sample" => Method::Iid,
            other => {
                return Err(to_py_err(Error::invalid(format!(
                    "method must be 'stratified' or 'iid', got {other:?}"
                ))))
            }
        };
        let d = self.inner.sizes.len();
        let inner = &self.inner;
        let codes = py.detach(|| inner.sample(n, seed, method)).map_err(to_py_err)?;
        let arr = numpy::ndarray::Array2::from_shape_vec((n, d), codes).expect("n × d");
        Ok(arr.into_pyarray(py))
    }

    /// The log-potentials, one array per potential clique (see `cliques`).
    fn potentials<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyArray1<f64>>> {
        self.inner.theta.iter().map(|t| t.clone().into_pyarray(py)).collect()
    }

    /// Replaces the log-potentials and recalibrates.
    fn set_potentials(&mut self, py: Python<'_>, potentials: Vec<PyReadonlyArray1<'_, f64>>) -> PyResult<()> {
        let theta = potentials
            .iter()
            .map(|p| p.as_slice().map(|s| s.to_vec()))
            .collect::<Result<Vec<_>, _>>()?;
        let inner = &mut self.inner;
        py.detach(|| inner.set_theta(theta)).map_err(to_py_err)
    }

    /// Sets the number of records the marginals add up to.
    fn set_total(&mut self, total: f64) -> PyResult<()> {
        self.inner.set_total(total).map_err(to_py_err)
    }

    /// Marginals of the junction tree's cliques (see `tree_cliques`).
    fn marginals<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyArray1<f64>>> {
        self.inner.mu.iter().map(|t| t.clone().into_pyarray(py)).collect()
    }

    /// Domain size of every attribute.
    #[getter]
    fn sizes(&self) -> Vec<usize> {
        self.inner.sizes.clone()
    }

    /// The potential cliques (maximal among those the model covers).
    #[getter]
    fn cliques(&self) -> Vec<Vec<usize>> {
        self.inner.pcliques.clone()
    }

    /// The junction tree's cliques.
    #[getter]
    fn tree_cliques(&self) -> Vec<Vec<usize>> {
        self.inner.tree.cliques.clone()
    }

    /// Parent of each junction-tree clique (None for the root).
    #[getter]
    fn tree_parents(&self) -> Vec<Option<usize>> {
        self.inner.tree.parent.clone()
    }

    /// Cells in all junction-tree tables.
    #[getter]
    fn cells(&self) -> usize {
        self.inner.cells()
    }

    #[getter]
    fn total(&self) -> f64 {
        self.inner.total
    }

    #[getter]
    fn log_z(&self) -> f64 {
        self.inner.log_z
    }

    fn __repr__(&self) -> String {
        format!(
            "MarginalModel({} attributes, {} cliques, {} cells)",
            self.inner.sizes.len(),
            self.inner.pcliques.len(),
            self.inner.cells()
        )
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(marginal_counts, m)?)?;
    m.add_function(wrap_pyfunction!(model_cells_py, m)?)?;
    m.add_class::<PyMarginalModel>()?;
    Ok(())
}
