"""Attachment limits and safe names, applied to every parsed message before intake.

Each channel's parser hands over what the customer sent; before it reaches
tickets.services.receive() the journal step keeps at most ATTACHMENT_MAX_COUNT attachments
of at most ATTACHMENT_MAX_BYTES each, gives every file a plain name (no directories, no
control characters, no leading dots) and notes in the message what was not kept.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from django.conf import settings

from tickets.inbound import AttachmentRef, InboundMessage

MAX_NAME = 180
_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")


def safe_filename(name: str) -> str:
    """A file name safe to store and show: the last path component, printable, bounded."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:16] if dot else ""
        name = (stem if dot else name)[: MAX_NAME - len(ext) - 1] + (f".{ext}" if ext else "")
    return name or "attachment"


def _size(ref: AttachmentRef) -> int:
    return len(ref.content) if ref.content is not None else (ref.size or 0)


def attachments_within_limits(msg: InboundMessage) -> InboundMessage:
    if not msg.attachments:
        return msg
    max_count = settings.ATTACHMENT_MAX_COUNT
    max_bytes = settings.ATTACHMENT_MAX_BYTES
    kept: list[AttachmentRef] = []
    dropped: list[str] = []
    for ref in msg.attachments:
        ref = dataclasses.replace(ref, filename=safe_filename(ref.filename))
        if len(kept) >= max_count:
            dropped.append(f"{ref.filename} (more than {max_count} attachments)")
        elif _size(ref) > max_bytes:
            dropped.append(f"{ref.filename} (larger than {max_bytes} bytes)")
        else:
            kept.append(ref)
    text = msg.text
    if dropped:
        note = "[Attachments not kept: " + "; ".join(dropped[:20])
        note += f"; and {len(dropped) - 20} more]" if len(dropped) > 20 else "]"
        text = f"{text}\n\n{note}" if text else note
    return dataclasses.replace(msg, attachments=kept, text=text)
