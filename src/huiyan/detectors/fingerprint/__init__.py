"""Detectors of the fingerprint family."""
