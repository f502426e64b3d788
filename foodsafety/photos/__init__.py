"""Inspection photos: upload from the phone, process with Pillow, store and serve in scope."""
