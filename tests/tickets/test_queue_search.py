"""The queue's search (`q`) and filters: what they find, and the query shape that lets
PostgreSQL answer them from indexes at a million tickets (migration 0008)."""

import pytest
from django.db import connection
from django.test import RequestFactory

from tests.factories.tickets import CustomerFactory, MessageFactory, TicketFactory
from tickets.filters import TicketFilter, ticket_search_ids
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only"
)


def _found(query: str, **extra) -> list[int]:
    data = {"q": query, **extra}
    return sorted(
        TicketFilter(data=data, queryset=Ticket.objects.all()).qs.values_list("pk", flat=True)
    )


def test_search_looks_in_subject_customer_and_messages():
    by_subject = TicketFactory(subject="Refund for the Zebrafjord order")
    by_name = TicketFactory(customer=CustomerFactory(name="Anna Zebrafjord"))
    by_email = TicketFactory(customer=CustomerFactory(email="zebrafjord@example.org"))
    by_message = TicketFactory(subject="Question")
    MessageFactory(ticket=by_message, text="my zebrafjord code does not work")
    TicketFactory(subject="Unrelated", customer=CustomerFactory(name="Boris"))
    MessageFactory(text="nothing to see here")

    found = _found("ZEBRAFJORD")  # any case
    assert found == sorted([by_subject.pk, by_name.pk, by_email.pk, by_message.pk])


def test_search_finds_cyrillic_words_in_messages():
    ticket = TicketFactory(subject="Вопрос")
    MessageFactory(ticket=ticket, text="Не работает промокод на скидку")
    MessageFactory(text="Спасибо, всё хорошо")
    assert _found("промокод") == [ticket.pk]


def test_ticket_matching_several_ways_is_listed_once():
    ticket = TicketFactory(
        subject="zebrafjord again", customer=CustomerFactory(name="Zebrafjord Ltd")
    )
    MessageFactory(ticket=ticket, text="zebrafjord one")
    MessageFactory(ticket=ticket, text="zebrafjord two")
    qs = TicketFilter(data={"q": "zebrafjord"}, queryset=Ticket.objects.all()).qs
    assert list(qs.values_list("pk", flat=True)) == [ticket.pk]
    assert qs.count() == 1


def test_search_combines_with_other_filters():
    open_one = TicketFactory(status="open", subject="zebrafjord open")
    solved = TicketFactory(status="solved")
    MessageFactory(ticket=solved, text="zebrafjord solved")
    assert _found("zebrafjord", status=["open"]) == [open_one.pk]
    assert _found("zebrafjord", status=["solved"]) == [solved.pk]


def test_blank_search_filters_nothing():
    tickets = TicketFactory.create_batch(2)
    assert _found("   ") == sorted(t.pk for t in tickets)


def test_queue_page_search_paginates_over_matches(operator_client):
    for n in range(52):
        MessageFactory(ticket=TicketFactory(subject=f"Question {n}"), text="zebrafjord")
    TicketFactory.create_batch(3, subject="Other")
    first = operator_client.get("/?view=all&q=zebrafjord")
    assert len(first.context["tickets"]) == 50
    assert first.context["page_obj"].paginator.count == 52


def test_status_and_priority_filters_add_no_distinct():
    """Without a join DISTINCT is useless, and it stops PostgreSQL from reading the queue's
    first page in index order (the three-filter queue at 1M)."""
    request = RequestFactory().get("/")
    data = {"status": ["open", "new"], "priority": ["high"]}
    qs = TicketFilter(data=data, queryset=Ticket.objects.all(), request=request).qs
    assert qs.query.distinct is False
    high = TicketFactory(status="open", priority="high", priority_rank=1)
    TicketFactory(status="open", priority="low", priority_rank=3)
    TicketFactory(status="closed", priority="high", priority_rank=1)
    assert list(qs.values_list("pk", flat=True)) == [high.pk]


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        # A test table is tiny: forbid reading whole tables or whole indexes, so the plan
        # shows whether an index CAN answer each part (the expression must match the index's).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@postgres_only
def test_search_parts_are_answered_by_trigram_indexes():
    MessageFactory(text="zebrafjord")
    plan = _plan(Ticket.objects.filter(pk__in=ticket_search_ids("zebrafjord")))
    for index in (
        "message_text_trgm",
        "ticket_subject_trgm",
        "customer_name_trgm",
        "customer_email_trgm",
    ):
        assert index in plan, plan


@postgres_only
def test_trigram_extension_and_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone()
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%_trgm'")
        names = {row[0] for row in cursor.fetchall()}
    assert names == {
        "message_text_trgm",
        "ticket_subject_trgm",
        "customer_name_trgm",
        "customer_email_trgm",
    }


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite path of migration 0008")
def test_sqlite_migration_adds_no_trigram_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%trgm'")
        assert cursor.fetchall() == []


def test_search_page_rows_total_and_order_match_the_queue(operator_client):
    """The search page reads its ids and total in one query, then the rows by id: the same
    rows, in the same order, as the queue without search shows for the same tickets."""
    for n in range(53):
        rank = n % 4
        priority = ["urgent", "high", "normal", "low"][rank]
        ticket = TicketFactory(subject=f"Case {n}", priority=priority, priority_rank=rank)
        MessageFactory(ticket=ticket, text="zebrafjord inside")
    TicketFactory.create_batch(4, subject="Other", priority="urgent", priority_rank=0)

    first = operator_client.get("/?view=all&q=zebrafjord")
    second = operator_client.get("/?view=all&q=zebrafjord&page=2")
    everything = operator_client.get("/?view=all").context["tickets"]
    everything += operator_client.get("/?view=all&page=2").context["tickets"]

    found = [t.pk for t in first.context["tickets"]] + [t.pk for t in second.context["tickets"]]
    assert len(first.context["tickets"]) == 50
    assert first.context["page_obj"].paginator.count == 53
    assert second.context["page_obj"].number == 2
    assert found == [t.pk for t in everything if t.subject != "Other"]
    row = first.context["tickets"][0]
    assert row.customer.name and row.channel.name  # the rows come with what they show


def test_search_page_past_the_end_shows_the_last_page(operator_client):
    for n in range(3):
        MessageFactory(ticket=TicketFactory(subject=f"Case {n}"), text="zebrafjord")
    response = operator_client.get("/?view=all&q=zebrafjord&page=9")
    assert response.context["page_obj"].number == 1
    assert len(response.context["tickets"]) == 3
    assert operator_client.get("/?view=all&q=zebrafjord&page=x").context["page_obj"].number == 1


def test_search_without_matches(operator_client):
    TicketFactory(subject="Other")
    response = operator_client.get("/?view=all&q=zebrafjord")
    assert response.context["tickets"] == []
    assert response.context["page_obj"].paginator.count == 0


def test_search_page_query_count_does_not_grow(operator_client, django_assert_max_num_queries):
    for n in range(30):
        MessageFactory(ticket=TicketFactory(subject=f"Case {n}"), text="zebrafjord")
    operator_client.get("/")  # the first page loads the operator's preferences
    with django_assert_max_num_queries(13):
        response = operator_client.get("/?view=all&q=zebrafjord")
    assert len(response.context["tickets"]) == 30
