"""Security headers every response carries unless its view set its own."""

from __future__ import annotations

import base64
import hashlib


def content_security_policy(*inline_scripts: str) -> str:
    """The site's policy: everything from this origin only; an inline script is allowed only by the
    hash of its exact text (the phone's import map is the one such script)."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"
        for text in inline_scripts)
    return ("default-src 'self'; img-src 'self' blob: data:; style-src 'self'; "
            f"script-src 'self'{hashes}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
