"""Inspection photos: upload from the phone, process with Pillow, store and serve in scope."""

from foodsafety.photos import receivers  # noqa: F401  (connects to rectification's signals)
