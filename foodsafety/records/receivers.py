"""Records follow the inspections (their signals): the operator's signature or refusal that a
submission (or a correction) carries is stored with the revision it was given for."""

from __future__ import annotations

from foodsafety.errors import invalid
from foodsafety.extensions import db
from foodsafety.inspections import signals
from foodsafety.inspections.document import signature_digest
from foodsafety.inspections.models import Inspection
from foodsafety.records.models import RecordSignature
from foodsafety.records.signature import SignatureRejected, check_signature
from foodsafety.vocabulary import SignatureState


@signals.saved.connect
def keep_signature(inspection: Inspection, *, signature: dict | None = None, **_) -> None:
    """Store the signature (or refusal) of the revision just saved; a bad image refuses the
    whole write (422 at operator_signature.image). Without one, the revision is unsigned."""
    if signature is None:
        return
    revision = inspection.revisions[-1]
    row = RecordSignature(revision_id=revision.id, state=SignatureState(signature["state"]))
    if row.state == SignatureState.SIGNED:
        image = signature["image"]
        try:
            checked = check_signature(image)
        except SignatureRejected as rejected:
            raise invalid({"operator_signature": {"image": [str(rejected)]}}) from None
        row.image, row.image_sha256 = image, signature_digest(image)
        row.width, row.height = checked.width, checked.height
    else:
        row.refusal_note = signature["note"]
    db.session.add(row)
    db.session.flush()
