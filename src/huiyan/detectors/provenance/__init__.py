"""Detectors of the provenance family."""
