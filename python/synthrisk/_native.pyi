# Type stubs of the Rust extension, checked against it by `mypy.stubtest` in `make lint`.
from typing import Any

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
