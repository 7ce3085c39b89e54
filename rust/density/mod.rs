//! Gaussian kernel density estimates in log space (DOMIAS-style density ratios).
