import pytest
from rest_framework.test import APIClient

from tests.factories.tickets import MessageFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def token_for(api, username):
    response = api.post(
        "/api/auth/token/", {"username": username, "password": "s3cret-pass-word"}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def test_token_login_and_use(api, operator):
    token = token_for(api, "olga")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/tickets/").status_code == 200


def test_wrong_password_gives_a_json_error(api, operator):
    response = api.post("/api/auth/token/", {"username": "olga", "password": "no"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_anonymous_is_refused_with_json_error(api):
    response = api.get("/api/tickets/")
    assert response.status_code == 401
    assert "error" in response.json()


def test_user_without_role_is_forbidden(api):
    api.force_authenticate(UserFactory(username="nobody"))
    assert api.get("/api/tickets/").status_code == 403


def test_channels_are_admin_only(api, operator, admin_user):
    api.force_authenticate(operator)
    assert api.get("/api/channels/").status_code == 403
    assert api.post("/api/channels/", {"kind": "generic", "name": "x"}).status_code == 403


def test_admin_creates_a_generic_channel_with_generated_secret(api, admin_user, settings):
    settings.PUBLIC_BASE_URL = "https://desk.example.com"
    api.force_authenticate(admin_user)
    response = api.post(
        "/api/channels/",
        {"kind": "generic", "name": "Phone bridge", "config": {"callback_url": "https://x/y"}},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["secret"]) >= 32
    assert body["webhook_url"] == f"https://desk.example.com/webhooks/generic/{body['id']}/"
    assert body["config"] == {"callback_url": "https://x/y"}

    listed = api.get("/api/channels/").json()
    assert [c["id"] for c in listed["results"]] == [body["id"]]


def test_channel_secret_can_be_given(api, admin_user):
    api.force_authenticate(admin_user)
    body = api.post(
        "/api/channels/", {"kind": "generic", "name": "B", "secret": "given"}, format="json"
    ).json()
    assert body["secret"] == "given"


def test_unknown_channel_kind_is_a_clear_error(api, admin_user):
    api.force_authenticate(admin_user)
    response = api.post("/api/channels/", {"kind": "pigeon", "name": "B"}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()["error"]["detail"]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [t["id"] for t in response.json()["results"]]


def test_ticket_list_filters_and_detail(api, operator):
    urgent = TicketFactory(priority="urgent", priority_rank=0, subject="Card charged twice")
    solved = TicketFactory(priority="low", priority_rank=3, status="solved")
    MessageFactory(ticket=urgent, text="Списали дважды")
    api.force_authenticate(operator)

    assert ids(api.get("/api/tickets/")) == [solved.pk, urgent.pk]  # newest first
    assert ids(api.get("/api/tickets/", {"ordering": "priority"})) == [urgent.pk, solved.pk]
    assert ids(api.get("/api/tickets/", {"priority": "urgent"})) == [urgent.pk]
    assert ids(api.get("/api/tickets/", {"q": "дважды"})) == [urgent.pk]
    assert ids(api.get("/api/tickets/", {"status": "solved"})) == [solved.pk]
    assert len(ids(api.get("/api/tickets/", {"assignee": "none"}))) == 2

    detail = api.get(f"/api/tickets/{urgent.pk}/").json()
    assert detail["messages"][0]["text"] == "Списали дважды"
    assert api.get("/api/tickets/999999/").status_code == 404


def test_ticket_list_query_count_does_not_grow(api, operator, django_assert_max_num_queries):
    api.force_authenticate(operator)
    for _ in range(3):
        TicketFactory()
    with django_assert_max_num_queries(8):
        api.get("/api/tickets/")
    for _ in range(30):
        TicketFactory()
    with django_assert_max_num_queries(8):
        assert len(ids(api.get("/api/tickets/"))) == 33


def test_reply_through_the_api(api, operator):
    ticket = TicketFactory()
    api.force_authenticate(operator)
    response = api.post(f"/api/tickets/{ticket.pk}/reply/", {"text": "On its way"}, format="json")
    assert response.status_code == 201
    assert response.json()["text"] == "On its way"
    empty = api.post(f"/api/tickets/{ticket.pk}/reply/", {"text": ""}, format="json")
    assert empty.status_code == 400


def test_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/tickets/", "/api/channels/", "/api/auth/token/", "/api/tickets/{id}/reply/"):
        assert path in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "cdn" not in page.lower()
    assert "/static/drf_spectacular_sidecar/" in page


def test_attachments_are_only_served_to_operators(client, operator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "attachments").mkdir()
    (tmp_path / "attachments" / "scan.txt").write_text("passport scan")

    assert client.get("/media/attachments/scan.txt").status_code == 302  # to the login page
    client.force_login(UserFactory(username="visitor"))
    assert client.get("/media/attachments/scan.txt").status_code == 403
    client.force_login(operator)
    response = client.get("/media/attachments/scan.txt")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"passport scan"
