"""go4graph's benchmarks: ``python -m bench`` (see bench/README.md)."""
