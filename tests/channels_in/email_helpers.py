"""Shared pieces of the email channel tests: corpus listing, channel, signed posts."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels_in.adapters.base import SIGNATURE_HEADER, hmac_hex

CORPUS = Path("/work/shared/corpus/email")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "channels" / "email"
SKIP_NAMES = {"SOURCE.md", "expected.json", "README.md"}


def corpus_files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name not in SKIP_NAMES
    )


def read(relative: str) -> bytes:
    path = FIXTURES / relative if (FIXTURES / relative).is_file() else CORPUS / relative
    if not path.is_file():
        pytest.skip(f"{relative} is not available here")
    return path.read_bytes()


def signed_post(client, channel, raw: bytes, *, secret: str | None = None):
    return client.post(
        f"/webhooks/email/{channel.pk}/",
        data=raw,
        content_type="message/rfc822",
        headers={SIGNATURE_HEADER: "sha256=" + hmac_hex(secret or channel.secret, raw)},
    )


@pytest.fixture
def email_channel(db):
    from tests.factories.tickets import ChannelFactory

    return ChannelFactory(
        kind="email",
        name="Support mailbox",
        secret="mail-secret",
        config={"from_address": "support@helpdesk.example", "from_name": "Support"},
    )


@pytest.fixture
def post_email(client, django_capture_on_commit_callbacks):
    """POST raw mail to the signed webhook and run what it enqueues; returns the response."""

    def _post(channel, raw: bytes, *, secret: str | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return signed_post(client, channel, raw, secret=secret)

    return _post
