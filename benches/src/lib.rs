//! Side-by-side benchmarks of pulselog and its peers.
