"""Benchmarks: figures printed as a table, never asserted."""
