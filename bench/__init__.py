"""Benchmarks: standalone scripts `bench/bench_<app>.py`, each with a `main()` that prints a
table (figure, baseline measured in the same process, ratio). `make bench` runs them all."""
