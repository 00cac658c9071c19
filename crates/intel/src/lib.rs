//! soc-intel
