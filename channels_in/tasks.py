"""Thin Celery tasks around the intake services."""

from celery import shared_task

from channels_in import services


@shared_task(name="channels_in.inbound_event_process", acks_late=True)
def inbound_event_process(*, event_id: int) -> None:
    services.inbound_event_process(event_id=event_id)


@shared_task(name="channels_in.inbound_requeue_stale", expires=120)
def inbound_requeue_stale() -> int:
    ids = services.inbound_stale_ids()
    for event_id in ids:
        inbound_event_process.delay(event_id=event_id)
    return len(ids)


@shared_task(name="email.imap_poll", expires=300)
def email_imap_poll() -> int:
    """Fetch unseen mail of every active email channel with an `imap` config."""
    import logging

    from channels_in.adapters.email import email_dedupe_key, imap
    from tickets.models import Channel

    stored = 0
    for channel in Channel.objects.filter(kind="email", is_active=True).order_by("pk"):
        config = (channel.config or {}).get("imap") or {}
        if not config.get("host"):
            continue

        def journal(raw: bytes, channel=channel) -> None:
            services.inbound_event_store(
                channel=channel,
                body=raw,
                headers={"Content-Type": "message/rfc822", "User-Agent": "imap_poll"},
                dedupe_key=email_dedupe_key(raw),
            )

        try:
            stored += imap.poll(config=config, store=journal)
        except Exception:
            logging.getLogger(__name__).exception("IMAP poll of channel %s failed", channel.pk)
    return stored
