"""What inspections tell the features above them (rectification, records) without importing them.

Receivers run inside the sender's transaction: what they write lands or is undone with the
inspection, and an `ApiError` they raise refuses the whole write.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

correcting = _signals.signal("inspection-correcting", doc="""
A correction is about to be applied to `sender` (an Inspection, still as it was), moving it to
`unit` (the unit the correction names, maybe the same). A receiver refuses it by raising.
""")

saved = _signals.signal("inspection-saved", doc="""
`sender` (an Inspection) has been stored or corrected and flushed; `order` is the rectification
order its document states (`{number, deadline}`) or None; `signature` is the operator's answer
to the new revision (`{state, image: bytes | None, note}`) or None (not signed on the phone).
""")
