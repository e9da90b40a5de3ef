"""Helpers for iamdb's integration tests: real servers in temporary directories."""
