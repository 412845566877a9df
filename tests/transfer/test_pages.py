"""The customer card's CRM block and personal-data actions; the queue's CSV export."""

import csv
import io
import json

import pytest
from django.test import Client

from helpdesk.audit.models import AuditEntry
from tests.factories.tickets import CustomerFactory, MessageFactory, TagFactory, TicketFactory

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def crm_ticket(db):
    customer = CustomerFactory(
        name="Ann",
        external_id="A/42 x",
        crm_attributes={"plan": "<script>alert(1)</script>", "ltv": 1200, "tags": ["a", "b"]},
    )
    ticket = TicketFactory(customer=customer, subject="Card")
    MessageFactory(ticket=ticket, text="hello")
    return ticket


def test_card_shows_crm_attributes_escaped_and_the_crm_link(crm_ticket, operator, settings):
    settings.HELPDESK_CRM_CUSTOMER_URL = "https://crm.example/customers/{external_id}"
    html = logged_in(operator).get(f"/tickets/{crm_ticket.pk}/").content.decode()
    assert "customer-crm" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<dt>ltv</dt><dd>1200</dd>" in html
    assert "<dd>[&quot;a&quot;, &quot;b&quot;]</dd>" in html
    assert 'href="https://crm.example/customers/A%2F42%20x"' in html
    assert "customer-privacy" not in html  # operators get no personal-data actions


def test_no_crm_block_without_attributes_or_link(operator, settings):
    settings.HELPDESK_CRM_CUSTOMER_URL = ""
    ticket = TicketFactory(customer=CustomerFactory(external_id="x"))
    html = logged_in(operator).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "customer-crm" not in html


def test_a_crm_url_template_that_is_not_http_gives_no_link(crm_ticket, operator, settings):
    settings.HELPDESK_CRM_CUSTOMER_URL = "javascript:alert('{external_id}')"
    html = logged_in(operator).get(f"/tickets/{crm_ticket.pk}/").content.decode()
    assert "crm-link" not in html


def test_manager_exports_and_erases_from_the_card(crm_ticket, manager):
    client = logged_in(manager)
    page = client.get(f"/tickets/{crm_ticket.pk}/").content.decode()
    assert "customer-privacy" in page and "customer-erase" in page
    customer = crm_ticket.customer
    response = client.post(f"/customers/{customer.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="customer-{customer.pk}.json"'
    assert json.loads(response.content)["customer"]["name"] == "Ann"
    unconfirmed = client.post(f"/customers/{customer.pk}/erase/")
    assert unconfirmed.status_code == 302
    customer.refresh_from_db()
    assert customer.erased_at is None
    response = client.post(
        f"/customers/{customer.pk}/erase/",
        {"confirm": "yes", "next": f"/tickets/{crm_ticket.pk}/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/tickets/{crm_ticket.pk}/"
    customer.refresh_from_db()
    assert customer.erased_at is not None and customer.name == ""
    html = response.content.decode()
    assert "customer-erased" in html and 'customer-erase"' not in html
    assert [e.action for e in AuditEntry.objects.order_by("pk")] == [
        "customer.exported",
        "customer.erased",
    ]


def test_operators_cannot_export_or_erase(crm_ticket, operator):
    client = logged_in(operator)
    pk = crm_ticket.customer_id
    assert client.post(f"/customers/{pk}/export/").status_code == 403
    assert client.post(f"/customers/{pk}/erase/", {"confirm": "yes"}).status_code == 403
    assert not AuditEntry.objects.exists()


def test_erase_refuses_a_redirect_elsewhere(crm_ticket, manager):
    response = logged_in(manager).post(
        f"/customers/{crm_ticket.customer_id}/erase/",
        {"confirm": "yes", "next": "https://evil.example/"},
    )
    assert response["Location"] == f"/tickets/{crm_ticket.pk}/"


def test_queue_export_link_keeps_the_filters_and_the_csv_matches(operator):
    tag = TagFactory(name="csv-tag")
    match = TicketFactory(subject="Match", status="open", priority="high")
    match.tags.add(tag)
    TicketFactory(subject="Low one", status="open", priority="low")
    TicketFactory(subject="Solved one", status="solved", priority="high")
    client = logged_in(operator)
    query = f"view=open&priority=high&tag={tag.pk}"
    html = client.get(f"/?{query}").content.decode()
    assert f'href="/queue/export.csv?view=open&amp;priority=high&amp;tag={tag.pk}"' in html
    response = client.get(f"/queue/export.csv?{query}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r[2] for r in rows[1:]] == ["Match"]
    everything = client.get("/queue/export.csv?view=all")
    subjects = {r[2] for r in csv.reader(io.StringIO(b"".join(everything).decode()))}
    assert {"Match", "Low one", "Solved one"} <= subjects
    open_only = client.get("/queue/export.csv")  # the default view: open tickets
    subjects = {r[2] for r in csv.reader(io.StringIO(b"".join(open_only).decode()))}
    assert "Solved one" not in subjects and "Match" in subjects


def test_queue_export_needs_an_operator(client):
    assert client.get("/queue/export.csv").status_code == 302  # to the login page


def test_queue_export_query_count_does_not_grow(operator, django_assert_max_num_queries):
    client = logged_in(operator)
    for n in range(30):
        t = TicketFactory(subject=f"T{n}", status="open")
        t.tags.add(TagFactory(name=f"t{n % 3}"))
    with django_assert_max_num_queries(12):
        response = client.get("/queue/export.csv")
        rows = b"".join(response.streaming_content).decode().splitlines()
    assert len(rows) == 31


def test_csv_streams_under_asgi_too(operator):
    """The embedded server is ASGI: the export must reach it as an asynchronous stream
    (a synchronous one would be collected into memory first)."""
    import warnings

    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    TicketFactory(subject="Under ASGI", status="open")
    client = AsyncClient()
    client.force_login(operator)

    async def fetch():
        response = await client.get("/queue/export.csv")
        return response, [part async for part in response.streaming_content]

    with warnings.catch_warnings():
        # Django warns when it has to buffer a synchronous iterator
        warnings.filterwarnings("error", message="StreamingHttpResponse must consume")
        response, parts = async_to_sync(fetch)()
    assert response.is_async
    assert "Under ASGI" in b"".join(parts).decode()
