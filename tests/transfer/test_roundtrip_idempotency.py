"""Export → import into an empty database gives the same tickets and metrics; importing
twice changes nothing; bad lines are reported and never half-written."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from metrics.filters import MetricFilter
from metrics.models import Survey, SurveyResponse, TicketFact
from metrics.selectors.summary import metric_summary
from tests.transfer.conftest import T0, at, jsonl, ticket_line
from tickets.models import (
    Channel,
    Customer,
    Message,
    Tag,
    Team,
    Ticket,
    TicketEvent,
    WorkSession,
)
from tickets.transfer.exporter import export_jsonl
from tickets.transfer.importer import import_lines

pytestmark = pytest.mark.django_db

PERIOD = MetricFilter(start=T0 - timedelta(days=1), end=T0 + timedelta(days=9))


def sample_file() -> list[str]:
    return jsonl(
        ticket_line("R1"),
        ticket_line(
            "R2",
            channel="email:Support mailbox",
            customer={"email": "no.crm.id@example.org", "name": "Без CRM"},
            status="closed",
            reopened=3,
            created_at=at(days=1),
            solved_at=at(days=2, seconds=0.5),
            messages=[
                {"direction": "in", "author": "customer", "sent_at": at(days=1), "text": "Привет"},
                {
                    "direction": "out",
                    "author": "agent",
                    "agent": "maria",
                    "sent_at": "2026-03-03T09:05:00.123456+00:00",
                    "text": "Здравствуйте!\nLine two",
                },
            ],
            tags=[],
            team="",
            assignee="",
            handle_seconds=None,
            csat=1,
        ),
        ticket_line(
            "R3",
            channel="webchat",
            status="pending",
            solved_at=None,
            csat=None,
            handle_seconds=120,
            priority="urgent",
            created_at=at(days=3),
            messages=[{"direction": "in", "author": "customer", "sent_at": at(days=3)}],
        ),
    )


def wipe() -> None:
    """What an empty database would hold: none of the imported rows."""
    for model in (SurveyResponse, Survey, TicketFact, WorkSession, TicketEvent, Message):
        model.objects.all().delete()
    Ticket.objects.all().delete()
    Customer.objects.all().delete()
    Channel.objects.all().delete()
    get_user_model().objects.filter(username__in=["ivan", "maria"]).delete()
    Team.objects.all().delete()
    Tag.objects.filter(name__in=["late-parcel", "vip"]).delete()


def figures() -> dict:
    return metric_summary(PERIOD, compare=False, fast=False)["current"]


def test_export_then_import_into_an_empty_database_round_trips():
    assert import_lines(sample_file()).rejected_total == 0
    first = list(export_jsonl())
    metrics_before = figures()
    wipe()
    assert not Ticket.objects.exists()
    summary = import_lines(first)
    assert (summary.created, summary.rejected_total) == (3, 0)
    second = list(export_jsonl())
    assert [json.loads(x) for x in second] == [json.loads(x) for x in first]
    assert figures() == metrics_before
    r2 = json.loads(first[1])
    assert r2["customer"]["external_id"].startswith("helpdesk:")
    assert r2["messages"][1]["sent_at"] == "2026-03-03T09:05:00.123456+00:00"
    assert r2["solved_at"] == "2026-03-04T09:00:00.500000+00:00"
    assert r2["channel"] == "email:Support mailbox" and r2["reopened"] == 3
    assert r2["csat"] == 1 and r2["status"] == "closed"
    assert json.loads(first[2])["handle_seconds"] == 120


def test_export_command_writes_the_same_lines(tmp_path):
    import_lines(sample_file())
    path = tmp_path / "out.jsonl"
    call_command("export_tickets", str(path), stderr=StringIO())
    assert path.read_text(encoding="utf-8").splitlines(keepends=True) == list(export_jsonl())


def test_importing_twice_skips_what_is_there():
    lines = sample_file()
    import_lines(lines)
    counts = [m.objects.count() for m in (Ticket, Message, Customer, SurveyResponse, TicketFact)]
    again = import_lines(lines)
    assert (again.created, again.skipped, again.rejected_total) == (0, 3, 0)
    assert [
        m.objects.count() for m in (Ticket, Message, Customer, SurveyResponse, TicketFact)
    ] == counts


def test_duplicate_ids_within_one_file_are_rejected():
    summary = import_lines(jsonl(ticket_line("D"), ticket_line("D", subject="again")))
    assert summary.rejected == [(2, "duplicate external_id (first on line 1)")]
    assert Ticket.objects.get(external_id="D").subject == "Where is my order?"


BAD = [
    ("{not json", "invalid JSON"),
    ("[1, 2]", "a line must be a JSON object"),
    (ticket_line("B1", created_at=None), "missing field: created_at"),
    (ticket_line("B2", customer=None), "missing field: customer"),
    (ticket_line("B3", created_at="yesterday"), "created_at is not a valid ISO 8601"),
    (ticket_line("B4", status="archived"), "unknown status 'archived'"),
    (ticket_line("B5", priority="p1"), "unknown priority 'p1'"),
    (ticket_line("B6", solved_at=None), "solved_at is missing for a solved ticket"),
    (ticket_line("B7", csat=9), "csat must be between 1 and 5"),
    (
        ticket_line("B8", messages=[{"direction": "sideways", "author": "customer"}]),
        "messages[0].direction must be one of in, out",
    ),
    (
        ticket_line("B9", messages=[{"direction": "in", "author": "customer", "sent_at": "x"}]),
        "messages[0].sent_at is not a valid ISO 8601",
    ),
    (ticket_line("B10", channel="fax"), "unknown channel 'fax'"),
    (ticket_line("B11", customer={"name": "No keys"}), "customer needs an external_id"),
    (ticket_line("B12", tags="vip"), "tags must be a list of strings"),
    (ticket_line("B15", subject="a\u0000b"), "subject contains a NUL character"),
    (ticket_line("B13", solved_at=at(hours=-1)), "solved_at is before created_at"),
    (
        ticket_line("B14", messages=[{"direction": "in", "author": "agent", "sent_at": at()}]),
        "messages[0].direction 'in' does not fit author 'agent'",
    ),
]


def test_broken_lines_are_reported_and_the_good_ones_imported(write_file, capsys):
    lines = [ticket_line("G1")]
    for bad, _ in BAD:
        lines.append(bad)
    lines.append(ticket_line("G2"))
    path = write_file(jsonl(*lines))
    call_command("import_tickets", str(path), "--no-progress", "--json")
    data = json.loads(capsys.readouterr().out)
    assert (data["created"], data["rejected"]) == (2, len(BAD))
    assert [e["line"] for e in data["errors"]] == list(range(2, 2 + len(BAD)))
    for error, (_, reason) in zip(data["errors"], BAD, strict=True):
        assert error["reason"].startswith(reason), (error, reason)
    assert sorted(Ticket.objects.values_list("external_id", flat=True)) == ["G1", "G2"]
    # nothing of a rejected line was written: no customer, no tag, no agent of its own
    assert not Customer.objects.filter(external_id__startswith="crm-B").exists()
    assert Message.objects.count() == 8


def test_a_batch_failing_in_the_database_falls_back_to_one_savepoint_per_ticket(monkeypatch):
    """A ticket that cannot be stored is rejected alone; its batch neighbours are kept and
    none of its rows remain."""
    from tickets.transfer import importer

    real = importer.write_batch

    def failing(records, resolver):
        if any(r.external_id == "X2" for r in records):
            with connection.cursor() as cursor:  # what a constraint violation looks like
                cursor.execute("INSERT INTO tickets_ticket (id) VALUES (NULL)")
        return real(records, resolver)

    monkeypatch.setattr(importer, "write_batch", failing)
    summary = import_lines(jsonl(ticket_line("X1"), ticket_line("X2"), ticket_line("X3")))
    assert summary.created == 2
    assert [line for line, _ in summary.rejected] == [2]
    assert summary.rejected[0][1].startswith("not stored:")
    assert sorted(Ticket.objects.values_list("external_id", flat=True)) == ["X1", "X3"]
    assert Customer.objects.filter(external_id="crm-X2").count() == 0
    assert Message.objects.count() == 8
