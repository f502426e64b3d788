"""What the registry tells the features above it (inspections, rectification) without importing them.

Receivers run inside the request; they must not write.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

units_shown = _signals.signal("units-shown", doc="""
The API is about to show `units` (a list of Unit) to `sender` (the Actor). A receiver may set
attributes the unit schema reads (`last_inspection`, `open_orders`), within what the actor may
read, in a bounded number of queries for the whole list.
""")
