"""Limits on one inbound mail, so a mail bomb costs bounded time and memory.

Past a limit the mail is still stored: what was dropped is counted and written as a note at
the end of the message text, and the raw mail stays in the journal. Limits come from
settings (EMAIL_MAX_DEPTH, EMAIL_MAX_PARTS, EMAIL_MAX_ATTACHMENTS, EMAIL_MAX_DECODED).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings

# A line that may be a MIME boundary ("--" at the start of a line).
_BOUNDARY_LINE = re.compile(rb"(?m)^--")


@dataclass
class Budget:
    """What one mail may still use while it is walked; and what was dropped."""

    max_depth: int
    max_parts: int
    max_attachments: int
    max_decoded: int
    parts: int = 0
    decoded: int = 0
    attachments: int = 0
    too_deep: int = 0
    parts_dropped: int = 0
    attachments_dropped: list[str] = field(default_factory=list)
    truncated: bool = False
    unreadable: bool = False

    @classmethod
    def from_settings(cls) -> Budget:
        return cls(
            max_depth=settings.EMAIL_MAX_DEPTH,
            max_parts=settings.EMAIL_MAX_PARTS,
            max_attachments=settings.EMAIL_MAX_ATTACHMENTS,
            max_decoded=settings.EMAIL_MAX_DECODED,
        )

    def take_part(self) -> bool:
        """Count one more leaf part; False once past the part limit."""
        self.parts += 1
        if self.parts > self.max_parts:
            self.parts_dropped += 1
            return False
        return True

    def take_text(self, size: int) -> bool:
        if self.decoded + size > self.max_decoded:
            self.parts_dropped += 1
            return False
        self.decoded += size
        return True

    def take_attachment(self, *, name: str, size: int) -> bool:
        if self.attachments >= self.max_attachments or self.decoded + size > self.max_decoded:
            self.attachments_dropped.append(f"{name} ({size} bytes)")
            return False
        self.attachments += 1
        self.decoded += size
        return True

    def note(self) -> str:
        """A line for the operator about what the limits dropped; "" when nothing was."""
        dropped = []
        if self.unreadable:
            dropped.append(
                "the MIME structure is nested too deeply to read; only the headers were kept"
            )
        if self.too_deep:
            dropped.append(f"{self.too_deep} part(s) nested deeper than {self.max_depth} levels")
        if self.truncated or self.parts_dropped:
            dropped.append(
                f"parts past the limit of {self.max_parts} parts or "
                f"{self.max_decoded} decoded bytes"
                + (f" ({self.parts_dropped} counted)" if self.parts_dropped else "")
            )
        if self.attachments_dropped:
            shown = ", ".join(self.attachments_dropped[:10])
            more = len(self.attachments_dropped) - 10
            dropped.append(
                f"{len(self.attachments_dropped)} attachment(s) past the limit of "
                f"{self.max_attachments} files or {self.max_decoded} bytes: {shown}"
                + (f" and {more} more" if more > 0 else "")
            )
        if not dropped:
            return ""
        return "[Not stored, by the help desk's mail limits: " + "; ".join(dropped) + ".]"


def cut_parts(raw: bytes, budget: Budget) -> bytes:
    """Cut the raw mail before the boundary line that would start part number
    `4 * max_parts`, so the parser never builds thousands of parts (a cut multipart is
    read as far as it goes, and the budget records the truncation)."""
    cap = budget.max_parts * 4
    for count, match in enumerate(_BOUNDARY_LINE.finditer(raw), start=1):
        if count > cap:
            budget.truncated = True
            return raw[: match.start()]
    return raw
