"""CRM upsert matching rules, the personal-data export and erasure, their audit entries and
who may call them."""

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from helpdesk.audit.models import AuditEntry
from metrics.models import Survey, SurveyResponse
from tests.factories.tickets import (
    ChannelFactory,
    CustomerFactory,
    CustomerIdentityFactory,
    MessageFactory,
    TicketFactory,
)
from tickets.models import Attachment, Customer, Message, Ticket
from tickets.services.crm import CustomerKeyMissing, customer_upsert, customer_upsert_many
from tickets.services.privacy import customer_erase

pytestmark = pytest.mark.django_db


def api_as(user):
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


# --- CRM upsert ---------------------------------------------------------------------------


def test_upsert_matches_external_id_first():
    by_ext = CustomerFactory(external_id="c-1", email="old@example.org")
    CustomerFactory(external_id="", email="new@example.org")
    r = customer_upsert(external_id="c-1", email="new@example.org", attributes={"plan": "pro"})
    assert (r.customer.pk, r.matched_by, r.created) == (by_ext.pk, "external_id", False)
    by_ext.refresh_from_db()
    assert by_ext.email == "new@example.org" and by_ext.crm_attributes == {"plan": "pro"}
    assert by_ext.crm_synced_at is not None


def test_upsert_falls_back_to_email_then_phone():
    by_email = CustomerFactory(external_id="", email="ann@example.org", phone="")
    by_phone = CustomerFactory(external_id="", email="", phone="+79001234567")
    r1 = customer_upsert(external_id="c-2", email="ANN@example.org")
    assert (r1.customer.pk, r1.matched_by) == (by_email.pk, "email")
    assert Customer.objects.get(pk=by_email.pk).external_id == "c-2"
    r2 = customer_upsert(external_id="c-3", phone=" +79001234567 ", name="Bob")
    assert (r2.customer.pk, r2.matched_by) == (by_phone.pk, "phone")
    assert Customer.objects.get(pk=by_phone.pk).name == "Bob"


def test_upsert_never_takes_a_customer_with_another_crm_id_merged_or_erased():
    CustomerFactory(external_id="c-other", email="shared@example.org")
    merged_into = CustomerFactory(email="")
    CustomerFactory(external_id="", email="gone@example.org", merged_into=merged_into)
    r = customer_upsert(external_id="c-4", email="shared@example.org")
    assert r.created and r.matched_by is None
    assert customer_upsert(email="gone@example.org").created
    # without a CRM id of its own, the email match takes any live customer
    assert customer_upsert(email="shared@example.org").matched_by == "email"


def test_upsert_attributes_replace_and_other_fields_stay():
    c = CustomerFactory(external_id="c-5", name="Ann", crm_attributes={"plan": "free", "x": 1})
    customer_upsert(external_id="c-5", attributes={"plan": "pro"})
    c.refresh_from_db()
    assert c.crm_attributes == {"plan": "pro"} and c.name == "Ann"
    customer_upsert(external_id="c-5", name="Ann Lee")
    c.refresh_from_db()
    assert c.crm_attributes == {"plan": "pro"} and c.name == "Ann Lee"


def test_upsert_needs_a_key():
    with pytest.raises(CustomerKeyMissing):
        customer_upsert(name="Nobody")


def test_batch_sees_its_own_earlier_items():
    results = customer_upsert_many(
        items=[
            {"external_id": "c-6", "email": "six@example.org"},
            {"email": "six@example.org", "attributes": {"tier": "gold"}},
        ]
    )
    assert results[0].created and results[1].customer.pk == results[0].customer.pk
    assert Customer.objects.get(external_id="c-6").crm_attributes == {"tier": "gold"}


@pytest.mark.parametrize(
    ("role", "expected"), [(None, 401), ("operator", 403), ("manager", 403), ("admin", 200)]
)
def test_upsert_api_roles(role, expected, operator, manager, admin_user):
    user = {"operator": operator, "manager": manager, "admin": admin_user}.get(role)
    response = api_as(user).post(
        "/api/customers/upsert/",
        {"external_id": "c-7", "name": "Eve", "attributes": {"plan": "pro"}},
        format="json",
    )
    assert response.status_code == expected, response.content
    if expected == 200:
        data = response.json()
        assert data["created"] is True and data["matched_by"] is None
        assert data["customer"]["crm_attributes"] == {"plan": "pro"}


def test_upsert_api_batch_and_errors(admin_user):
    api = api_as(admin_user)
    response = api.post(
        "/api/customers/upsert/",
        {"customers": [{"external_id": "c-8"}, {"external_id": "c-8", "name": "Again"}]},
        format="json",
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["created"] for r in results] == [True, False]
    assert results[1]["matched_by"] == "external_id"
    bad = api.post("/api/customers/upsert/", {"name": "no key"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    half = api.post(
        "/api/customers/upsert/",
        {"customers": [{"external_id": "c-9"}, {"email": "not-an-email"}]},
        format="json",
    )
    assert half.status_code == 400
    assert not Customer.objects.filter(external_id="c-9").exists()  # all or nothing


# --- personal data ------------------------------------------------------------------------


@pytest.fixture
def person(db, settings, tmp_path):
    channel = ChannelFactory(kind="telegram", name="Bot")
    customer = CustomerFactory(
        name="Ann Lee",
        email="ann@example.org",
        phone="+7900",
        notes="Prefers mornings",
        external_id="crm-ann",
        crm_attributes={"plan": "pro"},
    )
    old = CustomerFactory(name="Ann L.", email="ann.old@example.org")
    old.merged_into = customer
    old.save()
    CustomerIdentityFactory(
        customer=customer, channel=channel, external_id="tg-42", display_name="Ann", username="ann"
    )
    ticket = TicketFactory(customer=customer, channel=channel, subject="My card", status="solved")
    inbound = MessageFactory(ticket=ticket, text="My card 4111 is blocked", html="<p>card</p>")
    reply = MessageFactory(
        ticket=ticket, direction="out", author_kind="agent", text="Unblocked, Ann", external_id=None
    )
    attachment = Attachment.objects.create(message=inbound, filename="card.jpg", size=3)
    attachment.file.save("card.jpg", ContentFile(b"jpg"))
    survey = Survey.objects.create(
        kind="csat",
        ticket=ticket,
        customer=customer,
        channel=channel,
        expires_at=ticket.created_at,
    )
    SurveyResponse.objects.create(
        survey=survey,
        kind="csat",
        score=5,
        comment="Thanks Ann here",
        ticket=ticket,
        customer=customer,
        channel=channel,
    )
    return {
        "customer": customer,
        "old": old,
        "ticket": ticket,
        "inbound": inbound,
        "reply": reply,
        "attachment": attachment,
    }


def test_data_export_holds_everything_and_is_audited(person, manager):
    c = person["customer"]
    response = api_as(manager).post(f"/api/customers/{c.pk}/export/")
    assert response.status_code == 200
    data = response.json()
    assert data["customer"]["name"] == "Ann Lee"
    assert data["customer"]["crm_attributes"] == {"plan": "pro"}
    assert data["linked_customers"][0]["email"] == "ann.old@example.org"
    assert data["identities"][0]["external_id"] == "tg-42"
    [ticket] = data["tickets"]
    texts = [m["text"] for m in ticket["messages"]]
    assert "My card 4111 is blocked" in texts and "Unblocked, Ann" in texts
    attachment = next(m for m in ticket["messages"] if m["attachments"])["attachments"][0]
    assert attachment["filename"] == "card.jpg" and attachment["stored"] is True
    assert data["survey_answers"] == [
        {
            "kind": "csat",
            "score": 5,
            "comment": "Thanks Ann here",
            "ticket_id": person["ticket"].pk,
            "created_at": data["survey_answers"][0]["created_at"],
        }
    ]
    entry = AuditEntry.objects.get(action="customer.exported")
    assert entry.actor == manager and entry.target_id == str(c.pk)
    assert "Ann" not in entry.target_repr  # the log itself keeps no name
    assert entry.data["tickets"] == 1


def test_erasure_anonymises_and_keeps_the_counts(
    person, manager, django_capture_on_commit_callbacks
):
    c, ticket = person["customer"], person["ticket"]
    path = person["attachment"].file.path
    api = api_as(manager)
    refused = api.post(f"/api/customers/{c.pk}/erase/", {"confirm": False}, format="json")
    assert refused.status_code == 400
    assert Customer.objects.get(pk=c.pk).erased_at is None
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/customers/{c.pk}/erase/", {"confirm": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["erased_at"] is not None
    for who in (c, person["old"]):
        who.refresh_from_db()
        assert (who.name, who.email, who.phone, who.notes, who.external_id) == ("", "", "", "", "")
        assert who.crm_attributes == {} and who.erased_at is not None
    identity = c.identities.get()
    assert (identity.display_name, identity.username) == ("", "")
    assert identity.external_id.startswith("erased:")
    assert Message.objects.filter(ticket=ticket).count() == 2  # kept for metrics
    assert set(Message.objects.filter(ticket=ticket).values_list("text", "html")) == {("", "")}
    ticket.refresh_from_db()
    assert ticket.subject == "" and ticket.status == "solved"
    assert not Attachment.objects.exists()
    import os

    assert not os.path.exists(path)
    response = SurveyResponse.objects.get()
    assert response.score == 5 and response.comment == ""
    entry = AuditEntry.objects.get(action="customer.erased")
    assert entry.actor == manager and entry.data["messages"] == 2
    assert entry.data["customers"] == 2 and entry.data["attachments"] == 1
    assert "Ann" not in entry.target_repr
    assert Ticket.objects.filter(customer=c).count() == 1


def test_erased_customer_is_never_matched_again(person):
    customer_erase(customer=person["customer"])
    r = customer_upsert(external_id="crm-ann", email="ann@example.org")
    assert r.created


@pytest.mark.parametrize(
    ("role", "expected"), [(None, 401), ("operator", 403), ("manager", 200), ("admin", 200)]
)
def test_personal_data_endpoints_roles(role, expected, operator, manager, admin_user):
    user = {"operator": operator, "manager": manager, "admin": admin_user}.get(role)
    c = CustomerFactory()
    api = api_as(user)
    assert api.post(f"/api/customers/{c.pk}/export/").status_code == expected
    erase = api.post(f"/api/customers/{c.pk}/erase/", {"confirm": True}, format="json")
    assert erase.status_code == expected
    assert Customer.objects.get(pk=c.pk).erased_at is not None if expected == 200 else True
    if expected == 200:
        assert api.post("/api/customers/999999/export/").status_code == 404


def test_upsert_refuses_nul_characters_in_attributes(admin_user):
    response = api_as(admin_user).post(
        "/api/customers/upsert/",
        {"external_id": "c-nul", "attributes": {"note": "a\u0000b"}},
        format="json",
    )
    assert response.status_code == 400
    assert not Customer.objects.filter(external_id="c-nul").exists()
