"""The public face: records, accountants, the ledger, the CLI, the opacus adapter."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys

import pytest
from conftest import DPSGD, OPACUS_DPSGD_EPSILON

from synthrisk.accounting import (
    Composition,
    ExponentialMechanism,
    Gaussian,
    Laplace,
    LedgerEntry,
    Mechanism,
    PldAccountant,
    PoissonSampledGaussian,
    PrivacyLedger,
    RandomizedResponse,
    RdpAccountant,
    SampledWithoutReplacementGaussian,
    ZcdpAccountant,
    calibrate_noise,
    compose,
    epsilon_from_rho,
    gaussian_rho,
    get_epsilon,
    max_count,
    max_steps,
    privacy_spent,
    rho_from_epsilon,
)
from synthrisk.errors import BudgetError, InvalidArgumentError


def test_core_package_does_not_import_torch() -> None:
    code = (
        "import sys, synthrisk, synthrisk.accounting; "
        "synthrisk.accounting.get_epsilon(synthrisk.accounting.Gaussian(1.0), 1e-5); "
        "print('torch' in sys.modules, 'opacus' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_records_are_immutable_and_composable() -> None:
    g = Gaussian(2.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.noise_multiplier = 1.0  # type: ignore[misc]
    assert g.repeat(5).count == 5 and g.count == 1
    c = g + Laplace(1.0) + RandomizedResponse(1.0, 3)
    assert isinstance(c, Composition) and len(c.mechanisms) == 3
    nested = compose(c, ExponentialMechanism(0.5), count=2)
    assert [k for k, *_ in nested.components()] == [
        "gaussian",
        "laplace",
        "randomized_response",
        "exponential",
    ]
    assert all(n == 2 for *_, n in nested.components())
    for m in (nested, PoissonSampledGaussian(**DPSGD), SampledWithoutReplacementGaussian(1, 0.1)):
        assert Mechanism.from_dict(json.loads(json.dumps(m.to_dict()))) == m
    assert Gaussian.from_sigma(10.0, 2.0).noise_multiplier == 5.0
    assert RandomizedResponse.from_probability(0.75).pure_epsilon == pytest.approx(math.log(3))


def test_every_record_has_the_epsilon_and_delta_methods() -> None:
    """No record field may shadow ``epsilon(delta)`` (RandomizedResponse and the exponential
    mechanism once had a field named ``epsilon``, so ``m.epsilon(1e-6)`` raised TypeError)."""
    records = [
        Gaussian(2.0),
        Laplace(1.0),
        RandomizedResponse(1.0, 3),
        ExponentialMechanism(0.5, count=3),
        PoissonSampledGaussian(**DPSGD),
        SampledWithoutReplacementGaussian(1.0, 0.1),
    ]
    for m in records:
        eps = m.epsilon(1e-6)
        assert eps == get_epsilon(m, 1e-6) and m.delta(eps) <= 1e-6 * (1 + 1e-9), m
    legacy = {"kind": "randomized_response", "epsilon": 1.0, "categories": 3, "count": 1}
    assert Mechanism.from_dict(legacy) == RandomizedResponse(1.0, 3)


def test_accountants_chain_and_agree_on_the_reference_point() -> None:
    m = PoissonSampledGaussian(**DPSGD)
    rdp = RdpAccountant().compose(m)
    assert rdp.get_epsilon(1e-5) == pytest.approx(OPACUS_DPSGD_EPSILON, abs=1e-8)
    assert rdp.get_delta(rdp.get_epsilon(1e-5)) <= 1e-5 * (1 + 1e-9)
    pld = PldAccountant().compose(m)
    assert pld.get_epsilon(1e-5) < rdp.get_epsilon(1e-5)
    # steps composed one by one give the same answer
    one = RdpAccountant()
    for _ in range(3):
        one.compose(PoissonSampledGaussian(1.1, 256 / 60000), count=4680)
    assert one.get_epsilon(1e-5) == pytest.approx(rdp.get_epsilon(1e-5), rel=1e-12)
    with pytest.raises(InvalidArgumentError):
        ZcdpAccountant().compose(m)
    r = privacy_spent(m, delta=1e-5, accountant="pld", error_estimate=True)
    assert r.error_estimate is not None and r.to_dict()["accountant"] == "pld"
    assert RdpAccountant().privacy_spent(delta=1e-5).epsilon == 0.0


def test_inverse_problems() -> None:
    g = calibrate_noise(Gaussian(1.0, count=100), epsilon=1.0, delta=1e-6)
    assert isinstance(g, Gaussian) and g.count == 100
    assert g.epsilon(1e-6) <= 1.0
    t = max_steps(
        epsilon=OPACUS_DPSGD_EPSILON, delta=1e-5, noise_multiplier=1.1, sample_rate=256 / 60000
    )
    assert t >= 14040
    assert get_epsilon(PoissonSampledGaussian(1.1, 256 / 60000, count=t + 1), 1e-5) > (
        OPACUS_DPSGD_EPSILON
    )
    tp = max_steps(
        epsilon=2.0, delta=1e-5, noise_multiplier=1.1, sample_rate=256 / 60000, accountant="pld"
    )
    assert tp > max_steps(epsilon=2.0, delta=1e-5, noise_multiplier=1.1, sample_rate=256 / 60000)
    lap = Laplace.from_epsilon(0.5)
    assert max_count(lap, epsilon=1.0, delta=1e-6) >= 2  # at least basic composition
    assert max_count(lap, epsilon=1.0, delta=1e-6, accountant="zcdp") == 0  # ρ = ε²/2 is loose


def test_ledger_zcdp_default_is_unchanged() -> None:
    ledger = PrivacyLedger(epsilon=1.0, delta=1e-6)
    ledger.gaussian("a", sigma=10.0)
    ledger.gaussian("b", sigma=20.0, count=3)
    assert ledger.epsilon_spent == epsilon_from_rho(ledger.rho_spent, 1e-6)
    d = ledger.to_dict()
    assert d["accounting"].startswith("zCDP") and d["accountant"] == "zcdp"
    assert PrivacyLedger.from_dict(json.loads(json.dumps(d))).to_dict() == d
    with pytest.raises(BudgetError):
        ledger.gaussian("too much", sigma=0.1)
    with pytest.raises(BudgetError):
        ledger.spend("dpsgd", PoissonSampledGaussian(1.0, 0.01, count=10))


@pytest.mark.parametrize("accountant", ["zcdp", "rdp", "pld", "best"])
def test_ledger_reserves_delta_for_mechanisms_that_may_fail(accountant: str) -> None:
    """Entries with a failure probability draw on delta_reserved; everything is composed at
    δ − delta_reserved, so (ε at δ − reserve) + reserve is the (ε, δ) guarantee."""
    ledger = PrivacyLedger(epsilon=1.0, delta=1e-6, delta_reserved=2e-7, accountant=accountant)
    assert ledger.rho_budget == rho_from_epsilon(1.0, 1e-6 - 2e-7)
    params = {"sigma": 30.0, "l2_sensitivity": 1.0, "threshold": 150.0}
    entry = LedgerEntry("gaussian_threshold", "keys", params, gaussian_rho(30.0), delta=1.5e-7)
    ledger.record(entry)
    ledger.gaussian("counts", sigma=30.0)
    plain = PrivacyLedger(epsilon=1.0, delta=1e-6 - 2e-7, accountant=accountant)
    plain.gaussian("keys", sigma=30.0)
    plain.gaussian("counts", sigma=30.0)
    assert ledger.epsilon_spent == plain.epsilon_spent  # the Gaussian parts, at δ − reserve
    assert ledger.delta_spent == 1.5e-7
    with pytest.raises(BudgetError, match="delta_reserved"):
        ledger.record(dataclasses.replace(entry, purpose="more keys"))  # 3e-7 > 2e-7
    d = json.loads(json.dumps(ledger.to_dict()))
    assert d["budget"]["delta_reserved"] == 2e-7 and d["spent"]["delta_of_failures"] == 1.5e-7
    assert PrivacyLedger.from_dict(d).to_dict() == d
    for bad in (-1e-9, 1e-6, 2e-6):
        with pytest.raises(BudgetError, match="delta_reserved"):
            PrivacyLedger(epsilon=1.0, delta=1e-6, delta_reserved=bad)


def test_ledger_composes_subsampled_mechanisms_through_the_engine() -> None:
    ledger = PrivacyLedger(epsilon=3.0, delta=1e-5, accountant="rdp")
    ledger.spend("DP-SGD", PoissonSampledGaussian(**DPSGD))
    assert ledger.epsilon_spent == pytest.approx(OPACUS_DPSGD_EPSILON, abs=1e-8)
    assert math.isinf(ledger.rho_spent)
    before = list(ledger.entries)
    with pytest.raises(BudgetError):  # all or nothing
        ledger.spend("more", compose(Gaussian(5.0), PoissonSampledGaussian(1.1, 0.01, count=10**5)))
    assert ledger.entries == before
    best = PrivacyLedger(epsilon=3.0, delta=1e-5, accountant="best", entries=list(before))
    assert best.epsilon_spent < ledger.epsilon_spent  # PLD is tighter
    d = json.loads(json.dumps(ledger.to_dict()))
    assert PrivacyLedger.from_dict(d).epsilon_spent == ledger.epsilon_spent
    assert isinstance(ledger.entries[0], LedgerEntry)
    assert ledger.composition.components() == PoissonSampledGaussian(**DPSGD).components()


def test_cli_epsilon_and_noise() -> None:
    from typer.testing import CliRunner

    from synthrisk.cli.accountant import app

    runner = CliRunner()
    args = [
        "epsilon",
        "--noise-multiplier",
        "1.1",
        "--sample-rate",
        str(256 / 60000),
        "--steps",
        "14040",
        "--delta",
        "1e-5",
        "--json",
    ]
    out = json.loads(runner.invoke(app, args).stdout)
    assert out["epsilon"] == pytest.approx(OPACUS_DPSGD_EPSILON, abs=1e-8)
    assert out["order"] == pytest.approx(8.1) and "Balle" in out["conversion"]
    pld = json.loads(runner.invoke(app, [*args, "--accountant", "pld"]).stdout)
    assert pld["epsilon"] < out["epsilon"]
    res = runner.invoke(
        app,
        [
            "noise",
            "--epsilon",
            "1",
            "--delta",
            "1e-5",
            "--sample-rate",
            str(256 / 60000),
            "--steps",
            "14040",
            "--json",
        ],
    )
    noise = json.loads(res.stdout)
    assert noise["noise_multiplier"] > 1.1 and noise["epsilon"] <= 1.0
    text = runner.invoke(app, args[:-1])
    assert text.exit_code == 0 and "epsilon" in text.stdout
    bad = runner.invoke(app, ["epsilon", "--noise-multiplier", "0", "--delta", "1e-5"])
    assert bad.exit_code == 2
    bad = runner.invoke(app, ["epsilon", "--noise-multiplier", "1", "--delta", "2"])
    assert bad.exit_code == 2
    bad = runner.invoke(
        app, ["epsilon", "--noise-multiplier", "1", "--steps", "1.5", "--delta", "1e-5"]
    )
    assert bad.exit_code == 2


def test_opacus_adapter() -> None:
    pytest.importorskip("opacus")
    from opacus import PrivacyEngine
    from opacus.accountants.utils import get_noise_multiplier

    from synthrisk.accounting import opacus_adapter

    engine = PrivacyEngine(accountant="synthrisk-rdp")
    assert isinstance(engine.accountant, opacus_adapter.SynthriskAccountant)
    for _ in range(3):
        engine.accountant.step(noise_multiplier=1.1, sample_rate=256 / 60000)
    assert engine.accountant.history == [(1.1, 256 / 60000, 3)]
    engine.accountant.history = [(1.1, 256 / 60000, 14040)]
    assert engine.get_epsilon(1e-5) == pytest.approx(OPACUS_DPSGD_EPSILON, abs=1e-8)
    z = get_noise_multiplier(
        target_epsilon=2.0,
        target_delta=1e-5,
        sample_rate=256 / 60000,
        steps=14040,
        accountant="synthrisk-pld",
    )
    assert 1.1 < z < 1.4
    other = PrivacyEngine(accountant="rdp")
    other.accountant.history = [(1.1, 256 / 60000, 14040)]
    acc = opacus_adapter.attach(other, "pld")
    assert other.accountant is acc and acc.get_epsilon(1e-5) < OPACUS_DPSGD_EPSILON
    acc.history = [(0.0, 0.1, 1)]
    assert math.isinf(acc.get_epsilon(1e-5))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_opacus_make_private_with_epsilon_end_to_end() -> None:
    torch = pytest.importorskip("torch")
    from opacus import PrivacyEngine
    from torch.utils.data import DataLoader, TensorDataset

    import synthrisk.accounting.opacus_adapter  # noqa: F401  (registers the accountants)

    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = (x[:, 0] > 0).long()
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    engine = PrivacyEngine(accountant="synthrisk-rdp")
    model, opt, loader = engine.make_private_with_epsilon(
        module=model,
        optimizer=opt,
        data_loader=loader,
        target_epsilon=3.0,
        target_delta=1e-5,
        epochs=2,
        max_grad_norm=1.0,
    )
    for _ in range(2):
        for xb, yb in loader:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()
    assert len(engine.accountant) == 1 and engine.accountant.history[0][2] == 8
    assert 2.5 < engine.get_epsilon(1e-5) <= 3.0
