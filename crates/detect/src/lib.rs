//! soc-detect
