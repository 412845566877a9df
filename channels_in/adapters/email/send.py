"""Operator replies out by SMTP through Django's email backend, threaded by headers."""

from __future__ import annotations

import re
import smtplib
from email.utils import formataddr, make_msgid

from django.core.mail import EmailMessage, get_connection

from helpdesk.exceptions import DeliveryError
from tickets.models import Direction, Message

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
MAX_REFERENCES = 20
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|fw|fwd|ответ|на)\s*(\[\d+\])?\s*:\s*)+", re.I)


def reply_subject(subject: str, ticket_id: int) -> str:
    """ "Re: <subject> [#<id>]": the reference brings the customer's answer back here."""
    base = _REPLY_PREFIX.sub("", subject or "").strip()
    base = re.sub(r"\s*\[#\d+\]", "", base).strip()
    return f"Re: {base} [#{ticket_id}]" if base else f"Re: [#{ticket_id}]"


def _angle(message_id: str) -> str:
    return f"<{message_id}>"


def _thread(message: Message) -> tuple[str, list[str]]:
    """(In-Reply-To, References) from the ticket's earlier messages that carry Message-IDs."""
    earlier = (
        Message.objects.filter(ticket_id=message.ticket_id, external_id__isnull=False)
        .exclude(pk=message.pk)
        .exclude(external_id__startswith="sha256:")
        .order_by("created_at", "pk")
        .values_list("direction", "external_id")
    )
    chain = [external for _direction, external in earlier if "@" in external]
    last_inbound = [external for direction, external in earlier if direction == Direction.INBOUND]
    in_reply_to = next((m for m in reversed(last_inbound) if "@" in m), "")
    return in_reply_to, chain[-MAX_REFERENCES:]


def _recipient(message: Message) -> str:
    customer = message.ticket.customer
    identity = customer.identities.filter(channel=message.channel).order_by("-pk").first()
    if identity and "@" in identity.external_id:
        return identity.external_id
    return customer.email or ""


def _connection(config: dict):
    smtp = config.get("smtp") or {}
    if not smtp.get("host"):
        return get_connection(fail_silently=False)  # the site-wide EMAIL_BACKEND
    return get_connection(
        SMTP_BACKEND,
        fail_silently=False,
        host=smtp["host"],
        port=int(smtp.get("port") or 25),
        username=smtp.get("username") or "",
        password=smtp.get("password") or "",
        use_tls=bool(smtp.get("use_tls")),
        use_ssl=bool(smtp.get("use_ssl")),
        timeout=float(smtp.get("timeout") or 30),
    )


def send_email(message: Message) -> str:
    """Send one reply; return its Message-ID (without brackets), stored as the external id."""
    config = message.channel.config or {}
    from_address = config.get("from_address") or ""
    if "@" not in from_address:
        raise DeliveryError("The email channel has no from_address configured.", retryable=False)
    to = _recipient(message)
    if not to:
        raise DeliveryError("The customer has no email address to reply to.", retryable=False)
    domain = from_address.rsplit("@", 1)[1].strip(">").strip()
    message_id = make_msgid(domain=domain)
    in_reply_to, references = _thread(message)
    headers = {"Message-ID": message_id, "Auto-Submitted": "no"}
    if in_reply_to:
        headers["In-Reply-To"] = _angle(in_reply_to)
    if references:
        headers["References"] = " ".join(_angle(m) for m in references)
    sender = formataddr((config.get("from_name") or "", from_address))
    email = EmailMessage(
        subject=reply_subject(message.ticket.subject, message.ticket_id),
        body=message.text,
        from_email=sender,
        to=[to],
        headers=headers,
        connection=_connection(config),
    )
    for attachment in message.attachments.all():
        if attachment.file:
            with attachment.file.open("rb") as handle:
                email.attach(attachment.filename, handle.read(), attachment.content_type or None)
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        raise _refused(f"The mail server refused {to}: {exc.recipients}", codes) from exc
    except smtplib.SMTPResponseException as exc:
        raise _refused(
            f"The mail server answered {exc.smtp_code}: {exc.smtp_error!r}", [exc.smtp_code]
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"Could not reach the mail server: {exc}", retryable=True) from exc
    return message_id.strip("<>")


def _refused(text: str, codes: list[int]) -> DeliveryError:
    permanent = bool(codes) and all(500 <= int(code) < 600 for code in codes)
    return DeliveryError(text, retryable=not permanent, extra={"smtp_codes": codes})
