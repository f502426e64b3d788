"""What rectification tells the features above it (photos) without importing them.

Receivers run inside the sender's transaction; an `ApiError` they raise refuses the write.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

report_submitting = _signals.signal("report-submitting", doc="""
A school (`user`) is about to report on `sender` (a RectificationOrder) with the photos
`photo_ids` (strings, as the report will store them). A receiver refuses by raising.
""")

recheck_recording = _signals.signal("recheck-recording", doc="""
An inspector (`user`) is about to record a re-inspection of `sender` (a RectificationOrder)
naming the photos `photo_ids` per result (a dict: result index → list of strings). A receiver
refuses by raising.
""")
