"""Inspections: the phone's submissions, their corrections and voids, and the stored records."""
