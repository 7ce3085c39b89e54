//! Contingency tables, junction-tree inference and Private-PGM-style estimation for the
//! marginal-based generators.
