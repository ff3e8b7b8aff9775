"""Reproducible performance runs of reconcile against moto behind a latency proxy (see README.md)."""
