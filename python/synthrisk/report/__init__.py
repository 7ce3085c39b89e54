"""Reports: JSON for machines, self-contained HTML for people."""

from synthrisk.report.report import Report

__all__ = ["Report"]
