# Type stubs of the Rust extension, checked against it by `mypy.stubtest` in `make lint`.
from typing import Any, final

import numpy as np
import numpy.typing as npt

__version__: str

# neighbors
def knn_py(
    query_num: npt.NDArray[np.float32],
    query_cat: npt.NDArray[np.uint32],
    ref_num: npt.NDArray[np.float32],
    ref_cat: npt.NDArray[np.uint32],
    metric: str,
    num_weights: npt.NDArray[np.float64],
    cat_weights: npt.NDArray[np.float64],
    k: int,
    exclude_self: bool = False,
    n_jobs: int | None = None,
    algorithm: str = "auto",
    dedup: bool | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint64], dict[str, Any]]: ...
def simd_level() -> str: ...

# accounting: zCDP
def zcdp_epsilon(rho: float, delta: float) -> float: ...
def zcdp_delta(rho: float, epsilon: float) -> float: ...
def zcdp_rho(epsilon: float, delta: float) -> float: ...
def gaussian_sigma_for_rho(sensitivity: float, rho: float) -> float: ...

# density: Gaussian KDE
@final
class GaussianKde:
    def __new__(
        cls,
        data: npt.NDArray[np.float64],
        weights: npt.NDArray[np.float64] | None = None,
        bandwidth: str = "scott",
        factor: float | None = None,
        covariance: str = "full",
    ) -> GaussianKde: ...
    def log_density(
        self, queries: npt.NDArray[np.float64], n_jobs: int | None = None
    ) -> npt.NDArray[np.float64]: ...
    @property
    def factor(self) -> float: ...
    @property
    def n_eff(self) -> float: ...
    @property
    def dim(self) -> int: ...
    @property
    def n_points(self) -> int: ...
    @property
    def covariance(self) -> npt.NDArray[np.float64]: ...

# noise: exact discrete samplers
def discrete_gaussian(
    sigma: float, size: int, seed: int | None = None
) -> npt.NDArray[np.int64]: ...
def discrete_laplace(scale: int, size: int, seed: int | None = None) -> npt.NDArray[np.int64]: ...

# accounting: compositions cross as (kind, a, b, count) tuples
_Mechanisms = list[tuple[str, float, float, int]]

def rdp_default_orders() -> list[float]: ...
def rdp_epsilon(
    mechanisms: _Mechanisms,
    delta: float,
    orders: list[float] | None = None,
    refine: bool = False,
) -> tuple[float, float | None]: ...
def rdp_delta(
    mechanisms: _Mechanisms,
    epsilon: float,
    orders: list[float] | None = None,
    refine: bool = False,
) -> tuple[float, float | None]: ...
def rdp_curve(mechanisms: _Mechanisms, orders: list[float]) -> list[float]: ...
def zcdp_composition_rho(mechanisms: _Mechanisms) -> float: ...
def pld_epsilon(
    mechanisms: _Mechanisms,
    delta: float,
    discretization: float | None = None,
    tail_mass: float = 1e-15,
    error_estimate: bool = False,
) -> tuple[float, float, float | None, bool]: ...
def pld_delta(
    mechanisms: _Mechanisms,
    epsilon: float,
    discretization: float | None = None,
    tail_mass: float = 1e-15,
) -> tuple[float, float, bool]: ...
def calibrate_noise_scale(
    mechanisms: _Mechanisms,
    epsilon: float,
    delta: float,
    accountant: str = "rdp",
    orders: list[float] | None = None,
    discretization: float | None = None,
    rtol: float = 1e-6,
) -> float: ...
def max_repetitions(
    step: _Mechanisms,
    fixed: _Mechanisms,
    epsilon: float,
    delta: float,
    accountant: str = "rdp",
    orders: list[float] | None = None,
    discretization: float | None = None,
) -> int: ...

# marginals: contingency tables and the graphical model of MST, AIM and PrivBayes
_Measurement = tuple[list[int], npt.NDArray[np.float64], float | npt.NDArray[np.float64]]

def marginal_counts(
    codes: npt.NDArray[np.uint32],
    sizes: list[int],
    cliques: list[list[int]],
    weights: npt.NDArray[np.float64] | None = None,
    n_jobs: int | None = None,
) -> list[npt.NDArray[np.float64]]: ...
def model_cells_py(
    sizes: list[int],
    cliques: list[list[int]],
    candidates: list[list[int]] | None = None,
    n_jobs: int | None = None,
) -> tuple[int, list[int]]: ...

@final
class MarginalModel:
    def __new__(
        cls,
        sizes: list[int],
        cliques: list[list[int]],
        total: float = 1.0,
        max_cells: int | None = None,
    ) -> MarginalModel: ...
    def with_cliques(
        self, cliques: list[list[int]], max_cells: int | None = None
    ) -> MarginalModel: ...
    def fit(
        self,
        measurements: list[_Measurement],
        iters: int = 1000,
        tol: float | None = None,
        check_every: int = 50,
        patience: int = 2,
        stepsize: float | None = None,
        growth: float = 1.01,
        total: float | None = None,
        time_limit: float | None = None,
        warm_stepsize: bool = False,
        n_jobs: int | None = None,
    ) -> dict[str, Any]: ...
    def project(
        self,
        cliques: list[list[int]],
        max_cells: int | None = None,
        n_jobs: int | None = None,
    ) -> list[npt.NDArray[np.float64]]: ...
    def projection_walks(self, cliques: list[list[int]]) -> list[int]: ...
    def sample(self, n: int, seed: int, method: str = "stratified") -> npt.NDArray[np.uint32]: ...
    def potentials(self) -> list[npt.NDArray[np.float64]]: ...
    def set_potentials(self, potentials: list[npt.NDArray[np.float64]]) -> None: ...
    def set_total(self, total: float) -> None: ...
    def marginals(self) -> list[npt.NDArray[np.float64]]: ...
    @property
    def sizes(self) -> list[int]: ...
    @property
    def cliques(self) -> list[list[int]]: ...
    @property
    def tree_cliques(self) -> list[list[int]]: ...
    @property
    def tree_parents(self) -> list[int | None]: ...
    @property
    def cells(self) -> int: ...
    @property
    def total(self) -> float: ...
    @property
    def log_z(self) -> float: ...
