"""Labelled shadow data: folders laid out like the MIDST challenge's ``train/`` directories.

Each folder holds one generator's synthetic data, its challenge records, their membership labels
and, optionally, the real training data it was fitted on::

    tabddpm_1/
      trans_synthetic.csv.gz    synthetic rows (any name containing "synthetic")
      challenge_with_id.csv     challenge records (name containing "challenge", not "label")
      challenge_label.csv       one column of 0/1 labels (name containing "label")
      train_with_id.csv.gz      the generator's training data (name starting with "train")

Files may be CSV, gzipped CSV or Parquet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from synthrisk.data.frames import read_table
from synthrisk.errors import InvalidArgumentError
from synthrisk.privacy.attacks._tables import drop_columns, row_hashes
from synthrisk.stats import check_labels_scores

_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")


@dataclass(frozen=True)
class ShadowSet:
    """One shadow (or target) generator: its synthetic data and labelled challenge records."""

    name: str
    synthetic: pl.DataFrame
    challenge: pl.DataFrame
    labels: np.ndarray | None = None
    train: pl.DataFrame | None = None


def _find(folder: Path, want: str, avoid: str | None = None, prefix: bool = False) -> Path | None:
    hits = sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.name.lower().endswith(_SUFFIXES)
        and (p.name.lower().startswith(want) if prefix else want in p.name.lower())
        and (avoid is None or avoid not in p.name.lower())
    )
    if len(hits) > 1:
        raise InvalidArgumentError(
            f"{folder}: several files match {want!r}: {[h.name for h in hits]}; keep one"
        )
    return hits[0] if hits else None


def read_labels(path: str | Path) -> np.ndarray:
    """0/1 membership labels from a one-column file (or the ``is_train``/``label`` column)."""
    df = read_table(path)
    for name in ("is_train", "label", "labels", "member", "is_member"):
        if name in df.columns:
            return df.get_column(name).to_numpy()
    if df.width != 1:
        raise InvalidArgumentError(
            f"{path}: cannot tell which column holds the labels among {df.columns}; use one "
            "column, or name it is_train / label"
        )
    return df.to_series().to_numpy()


def load_shadow_folder(folder: str | Path, *, need_labels: bool = True) -> ShadowSet:
    """Reads one MIDST-style folder (see the module documentation)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InvalidArgumentError(f"{folder} is not a folder")
    synthetic = _find(folder, "synthetic")
    challenge = _find(folder, "challenge", avoid="label")
    labels = _find(folder, "label")
    train = _find(folder, "train", prefix=True)
    if synthetic is None or challenge is None or (need_labels and labels is None):
        raise InvalidArgumentError(
            f"{folder} needs a synthetic file, a challenge file and a label file (found "
            f"{sorted(p.name for p in folder.iterdir())})"
        )
    c = read_table(challenge)
    y = None
    if labels is not None:
        y, _ = check_labels_scores(read_labels(labels), np.zeros(c.height))
    return ShadowSet(
        name=folder.name,
        synthetic=read_table(synthetic),
        challenge=c,
        labels=y,
        train=None if train is None else read_table(train),
    )


def load_shadow_dir(root: str | Path) -> list[ShadowSet]:
    """Every shadow folder directly under ``root`` (sorted by name, numbers in order)."""
    root = Path(root)
    if not root.is_dir():
        raise InvalidArgumentError(f"{root} is not a folder")
    if _find(root, "synthetic") is not None:
        return [load_shadow_folder(root)]

    def key(p: Path) -> tuple[str, int]:
        digits = "".join(ch for ch in p.name if ch.isdigit())
        return (p.name.rstrip("0123456789"), int(digits) if digits else -1)

    folders = sorted((p for p in root.iterdir() if p.is_dir()), key=key)
    shadows = [load_shadow_folder(p) for p in folders]
    if not shadows:
        raise InvalidArgumentError(f"{root} holds no shadow folders")
    return shadows


def reference_from_frames(
    frames: Sequence[pl.DataFrame],
    *,
    exclude: Sequence[pl.DataFrame] = (),
    drop: Sequence[str] = (),
) -> pl.DataFrame:
    """A reference population: the rows of ``frames`` (deduplicated) minus every row that also
    appears in ``exclude`` (challenge records), after dropping the ``drop`` columns."""
    if not frames:
        raise InvalidArgumentError("no frames to build a reference population from")
    base = [drop_columns(f, drop) for f in frames]
    columns = base[0].columns
    pooled = pl.concat([f.select(columns) for f in base], how="vertical_relaxed").unique(
        maintain_order=True
    )
    if exclude:
        ex = pl.concat(
            [drop_columns(e, drop).select(columns) for e in exclude], how="vertical_relaxed"
        )
        bad = set(row_hashes(ex).tolist())
        keep = np.array([h not in bad for h in row_hashes(pooled).tolist()], dtype=bool)
        pooled = pooled.filter(pl.Series(keep))
    return pooled
