"""Raw RFC 822 bytes -> InboundMessage, with the standard library's `email` package."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import Message

from channels_in.adapters.email import mime
from channels_in.adapters.email.limits import Budget, cut_parts
from channels_in.adapters.email.loops import loop_reason
from channels_in.adapters.email.quotes import strip_quoted
from tickets.inbound import AttachmentRef, InboundMessage, SenderIdentity
from tickets.sanitize import html_to_text, sanitize_html

MAX_TEXT = 200_000
TICKET_REF = re.compile(r"\[#(\d{1,12})\]")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


@dataclass
class Body:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[AttachmentRef] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)
    budget: Budget = field(default_factory=Budget.from_settings)

    def sub(self) -> Body:
        """A body for one alternative or forwarded mail, sharing this mail's budget."""
        return Body(budget=self.budget)


@dataclass(frozen=True)
class ParsedMail:
    """Everything the adapter needs from one mail; `loop` is non-empty for machine mail."""

    message_id: str
    subject: str
    sender_name: str
    sender_email: str
    text: str
    html: str
    attachments: list[AttachmentRef]
    sent_at: datetime
    in_reply_to: str
    thread_refs: tuple[str, ...]
    ticket_ref: int | None
    loop: str


_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")


def load(raw: bytes) -> Message:
    """Parse; when a broken line cut the header block short, drop such lines and retry."""
    msg = message_from_bytes(raw, policy=policy.default)
    if "From" not in msg:
        repaired = _repair_headers(raw)
        if repaired != raw:
            candidate = message_from_bytes(repaired, policy=policy.default)
            if "From" in candidate:
                return candidate
    return msg


def _repair_headers(raw: bytes) -> bytes:
    lines = raw.split(b"\n")
    kept: list[bytes] = []
    end = len(lines)
    for index, line in enumerate(lines):
        stripped = line.rstrip(b"\r")
        if not stripped:
            end = index
            break
        if _HEADER_LINE.match(stripped) or (kept and stripped[:1] in (b" ", b"\t")):
            kept.append(line)
    return b"\n".join(kept + lines[end:])


def _load_within(raw: bytes, budget: Budget) -> Message:
    """Parse at most the budget's parts; a structure too deep for the parser keeps only
    its headers (the raw mail stays in the journal)."""
    try:
        return load(cut_parts(raw, budget))
    except RecursionError:
        budget.unreadable = True
        head, _sep, _rest = raw.partition(b"\r\n\r\n" if b"\r\n\r\n" in raw[:65536] else b"\n\n")
        msg = load(head + b"\r\n\r\n")
        del msg["Content-Type"]
        return msg


def parse_mail(raw: bytes, *, now: datetime) -> ParsedMail:
    budget = Budget.from_settings()
    msg = _load_within(raw, budget)
    subject = mime.header(msg, "Subject", _charset_hint(msg))[:255]
    name, email = mime.address(msg, "From")
    if not email:  # a broken From: the mailbox replies would go to is the next best
        name, email = mime.address(msg, "Reply-To")
        if not email:
            name, email = mime.address(msg, "Sender")
    body = Body(budget=budget)
    _walk(msg, body, 0)
    html = "\n".join(body.html)
    text = "\n\n".join(t.strip() for t in body.plain if t.strip())
    if not text and html:
        text = html_to_text(sanitize_html(html))
    text = strip_quoted(text)
    if body.forwarded:
        text = "\n\n".join([text, *body.forwarded]).strip()
    note = budget.note()
    if note:
        text = "\n\n".join([text[: MAX_TEXT - len(note) - 2], note]).strip()
    in_reply_to = mime.message_id(msg, "In-Reply-To")
    refs = mime.message_ids(mime.header(msg, "References"))
    thread_refs = tuple(dict.fromkeys([*([in_reply_to] if in_reply_to else []), *refs]))
    match = TICKET_REF.search(subject)
    return ParsedMail(
        message_id=mime.message_id(msg) or mime.digest(raw),
        subject=subject,
        sender_name=(name or "")[:200],
        sender_email=email[:254],
        text=mime.clean(text)[:MAX_TEXT],
        html=mime.clean(html)[: MAX_TEXT * 5],
        attachments=body.attachments,
        sent_at=mime.sent_at(msg, now),
        in_reply_to=in_reply_to,
        thread_refs=thread_refs[-50:],
        ticket_ref=int(match.group(1)) if match else None,
        loop=loop_reason(msg, sender_email=email, subject=subject, text=text),
    )


def to_inbound(mail: ParsedMail, *, channel_id: int, event_id: int | None) -> InboundMessage:
    return InboundMessage(
        channel_id=channel_id,
        external_message_id=mail.message_id,
        sender=SenderIdentity(
            external_id=mail.sender_email,
            name=mail.sender_name or mail.sender_email,
            email=mail.sender_email,
        ),
        text=mail.text,
        html=mail.html,
        subject=mail.subject,
        sent_at=mail.sent_at,
        attachments=mail.attachments,
        reply_to_external_id=mail.in_reply_to,
        raw_event_id=event_id,
        thread_refs=mail.thread_refs,
        ticket_ref=mail.ticket_ref,
    )


def _subparts(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    return []


def _walk(part: Message, body: Body, depth: int) -> None:
    if depth > body.budget.max_depth:
        body.budget.too_deep += 1
        return
    ctype = part.get_content_type()
    if ctype in ("message/rfc822", "message/global"):
        _forwarded(part, body, depth)
        return
    if ctype.startswith("multipart/") and not part.is_multipart():
        # A broken boundary leaves the whole body as one string: read it as text.
        text = _text(part)
        (body.html if re.search(r"<(html|body|div|p)\b", text, re.I) else body.plain).append(text)
        return
    if part.is_multipart() and ctype.startswith("multipart/"):
        subparts = _subparts(part)
        if ctype != "multipart/alternative":
            for sub in subparts:
                _walk(sub, body, depth + 1)
            return
        alternatives = []
        for sub in subparts:
            alternative = body.sub()
            _walk(sub, alternative, depth + 1)
            alternatives.append(alternative)
        plain = next((a for a in alternatives if any(t.strip() for t in a.plain)), None)
        rich = next((a for a in reversed(alternatives) if a.html), None)
        if plain:
            body.plain.extend(plain.plain)
        if rich:
            body.html.extend(rich.html)
        for alternative in alternatives:
            body.attachments.extend(alternative.attachments)
            body.forwarded.extend(alternative.forwarded)
        return
    _leaf(part, body)


def _leaf(part: Message, body: Body) -> None:
    if not body.budget.take_part():
        return
    ctype = part.get_content_type()
    try:
        disposition = part.get_content_disposition()
    except Exception:
        disposition = None
    filename = _filename(part)
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        text = _text(part)
        if not body.budget.take_text(len(text)):
            return
        if ctype == "text/plain":
            body.plain.append(text)
        else:
            body.html.append(text)
        return
    content = _payload(part)
    if not content and not filename and ctype.startswith("multipart/"):
        return
    filename = filename or _fallback_name(ctype, len(body.attachments) + 1, part)
    if not body.budget.take_attachment(name=filename, size=len(content)):
        return
    body.attachments.append(
        AttachmentRef(
            filename=filename,
            content_type=ctype[:120],
            content=content,
            size=len(content),
        )
    )


def _forwarded(part: Message, body: Body, depth: int) -> None:
    """A mail inside the mail: keep it as an .eml attachment and show its text."""
    inner = next(iter(_subparts(part)), None)
    if inner is None:
        _leaf(part, body)
        return
    try:
        content = inner.as_bytes(policy=policy.compat32)
    except Exception:
        content = str(inner.get_payload()).encode("utf-8", "replace")
    subject = mime.header(inner, "Subject", _charset_hint(inner))
    filename = _filename(part) or (_safe_name(subject)[:80] or "forwarded-message") + ".eml"
    if body.budget.take_attachment(name=filename, size=len(content)):
        body.attachments.append(
            AttachmentRef(
                filename=filename,
                content_type="message/rfc822",
                content=content,
                size=len(content),
            )
        )
    nested = body.sub()
    _walk(inner, nested, depth + 1)
    text = "\n\n".join(t.strip() for t in nested.plain if t.strip())
    if not text and nested.html:
        text = html_to_text(sanitize_html("\n".join(nested.html)))
    head = [
        "---------- Forwarded message ----------",
        f"From: {mime.header(inner, 'From')}",
        f"Date: {mime.header(inner, 'Date')}",
        f"Subject: {subject}",
    ]
    body.forwarded.append("\n".join(head) + "\n\n" + text.strip())
    body.attachments.extend(nested.attachments)
    body.forwarded.extend(nested.forwarded)


def _text(part: Message) -> str:
    raw = _payload(part)
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return mime.clean(mime.decode_bytes(raw, charset))


def _payload(part: Message) -> bytes:
    try:
        raw = part.get_payload(decode=True)
    except Exception:
        raw = None
    if isinstance(raw, bytes):
        return raw
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    if isinstance(payload, list):  # message/delivery-status and friends
        chunks = []
        for sub in payload:
            try:
                chunks.append(sub.as_bytes(policy=policy.compat32))
            except Exception:
                chunks.append(str(sub).encode("utf-8", "replace"))
        return b"\n".join(chunks)
    return b""


def _safe_name(name: str) -> str:
    return _UNSAFE_NAME.sub(" ", mime.clean(name or "")).strip(" .")


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = _safe_name(name.replace("\\", "/").rsplit("/", 1)[-1] if name else "")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 140 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:150]
    return name


def _fallback_name(ctype: str, index: int, part: Message) -> str:
    """No filename given: the Content-ID's name part (Outlook: "image001.jpg@01CD..."), else
    "attachment-<n>.<ext>" from the content type."""
    ext = {"message/delivery-status": ".txt", "text/plain": ".txt", "image/jpeg": ".jpg"}.get(
        ctype
    ) or (mimetypes.guess_extension(ctype) or ".bin")
    content_id = _safe_name(mime.message_id(part, "Content-ID").split("@", 1)[0])[:100]
    if content_id:
        return content_id if re.search(r"\.[A-Za-z0-9]{2,5}$", content_id) else content_id + ext
    return f"attachment-{index}{ext}"


def _charset_hint(msg: Message) -> str:
    """The body charsets, comma-separated: the best guesses for raw 8-bit header bytes."""
    found: list[str] = []
    try:
        for count, part in enumerate(msg.walk()):
            if count > 50:
                break
            charset = part.get_content_charset()
            if charset and charset not in found:
                found.append(charset)
    except Exception:  # noqa: S110 - no hint then
        pass
    return ",".join(found)
