"""Benchmarks: the system against its own floor, measured in the same run."""
