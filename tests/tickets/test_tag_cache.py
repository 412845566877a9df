"""The tags rule actions name, kept per process between messages (tickets.rules.tag_cache).

Another process's change reaches this one through the tags version the intake reads with
the channel: it is simulated here with writes that send no signal (a queryset update, a raw
DELETE), as another process's save would look from here.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories.tickets import ChannelFactory
from tests.tickets.automation_helpers import _fresh_rules_cache, say  # noqa: F401
from tickets.automation.models import Rule
from tickets.models import Tag, TicketEvent
from tickets.rules.tag_cache import tag_cache_clear

pytestmark = pytest.mark.django_db

TAXONOMY = {"delivery", "payment", "return/refund", "technical problem", "complaint"}


@pytest.fixture(autouse=True)
def _fresh_tag_cache():
    tag_cache_clear()
    yield
    tag_cache_clear()


@pytest.fixture
def channel(db):
    Rule.objects.create(
        name="instrument words",
        position=1,
        conditions=[{"type": "text_contains", "words": ["xylophone"]}],
        actions=[{"type": "add_tag", "tag": "xylophone"}],
    )
    return ChannelFactory(kind="telegram", name="Bot")


def _tag_reads(ctx) -> list[str]:
    """Reads of tags by name (not the version subqueries of the channel read, which alias
    the table, nor the SLA policies' tags)."""
    return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "tickets_tag"')]


def _tags(message) -> set[str]:
    """The ticket's tags but the default taxonomy's (its rules run too)."""
    return set(message.ticket.tags.values_list("name", flat=True)) - TAXONOMY


def test_a_known_tag_is_not_read_again(channel):
    first = say(channel, "where is my xylophone", user="a")  # creates the tag
    assert _tags(first) == {"xylophone"}
    with CaptureQueriesContext(connection) as ctx:
        second = say(channel, "my xylophone is late", user="b")  # a new version: read
    assert _tags(second) == {"xylophone"}
    assert len(_tag_reads(ctx)) == 1
    with CaptureQueriesContext(connection) as ctx:
        third = say(channel, "a xylophone again", user="c")
    assert _tags(third) == {"xylophone"}
    assert _tag_reads(ctx) == []


def test_a_tag_renamed_elsewhere_is_not_added_under_its_old_name(channel):
    say(channel, "where is my xylophone", user="a")
    tag = Tag.objects.get(name="xylophone")
    # Another process renames it: no signal here, a new version in the database.
    Tag.objects.filter(pk=tag.pk).update(name="marimba", updated_at=timezone.now())
    message = say(channel, "my xylophone is late", user="b")
    assert _tags(message) == {"xylophone"}  # the rule's tag, created anew
    assert Tag.objects.get(name="xylophone").pk != tag.pk
    event = TicketEvent.objects.get(ticket=message.ticket, kind="tags_changed")
    assert event.data["added"] == ["xylophone"]


def test_a_tag_deleted_elsewhere_is_created_again(channel):
    say(channel, "where is my xylophone", user="a")
    tag = Tag.objects.get(name="xylophone")
    with connection.cursor() as db:
        db.execute('DELETE FROM "tickets_ticket_tags" WHERE "tag_id" = %s', [tag.pk])
        db.execute('DELETE FROM "tickets_tag" WHERE "id" = %s', [tag.pk])
    message = say(channel, "my xylophone is late", user="b")
    assert _tags(message) == {"xylophone"}
    assert Tag.objects.get(name="xylophone").pk != tag.pk


def test_a_tag_created_elsewhere_is_used(channel):
    """A tag another process creates after this one filled its cache is found (in
    whatever case it was written), not created a second time."""
    Rule.objects.create(
        name="two tags",
        position=2,
        conditions=[{"type": "text_contains", "words": ["quokka"]}],
        actions=[{"type": "add_tag", "tag": "wombat"}, {"type": "add_tag", "tag": "quokka"}],
    )
    Tag.objects.create(name="wombat")
    say(channel, "hello", user="a")  # fills the cache's version; no tag yet
    Tag.objects.bulk_create([Tag(name="Quokka", color="#112233")])  # no signal
    message = say(channel, "quokka please", user="b")
    assert _tags(message) == {"wombat", "Quokka"}
    assert Tag.objects.filter(name__iexact="quokka").count() == 1


def test_a_tag_saved_in_this_process_clears_the_cache(channel):
    say(channel, "where is my xylophone", user="a")
    tag = Tag.objects.get(name="xylophone")
    tag.name = "marimba"
    tag.save()
    message = say(channel, "my xylophone is late", user="b")
    assert _tags(message) == {"xylophone"}
    assert Tag.objects.filter(name="marimba").exists()


def test_outside_the_intake_each_scope_reads_its_tags(channel):
    """Rules applied to a ticket on its own (no tags version in the scope) read the tag."""
    from tickets.rules.apply import rules_apply

    message = say(channel, "hello", user="a")
    Rule.objects.create(
        name="on update",
        position=3,
        trigger="ticket_updated",
        conditions=[],
        actions=[{"type": "add_tag", "tag": "xylophone"}],
    )
    say(channel, "where is my xylophone", user="b")  # the cache knows "xylophone" now
    with CaptureQueriesContext(connection) as ctx:
        rules_apply(trigger="ticket_updated", ticket=message.ticket)
    assert _tag_reads(ctx)
    assert _tags(message) == {"xylophone"}
