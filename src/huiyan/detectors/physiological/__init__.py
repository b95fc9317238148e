"""Detectors of the physiological family."""
