//! soc-investigate
