"""Detectors of the temporal family."""
