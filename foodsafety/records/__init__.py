"""The printed inspection record, the rectification notice and their public verification page,
with the operator's signature (or refusal) of each revision."""

from foodsafety.records import receivers  # noqa: F401  (connects to the inspections' signals)
