"""Detectors of the physical family."""
