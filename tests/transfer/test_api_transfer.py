"""Import upload, import jobs, JSON Lines and CSV exports over the API, per role."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.factories.tickets import TagFactory, TicketFactory, UserFactory
from tests.transfer.conftest import jsonl, ticket_line
from tickets.api import transfer
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def client_for(user):
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


@pytest.fixture
def roles(operator, manager, admin_user):
    return {"operator": operator, "manager": manager, "admin": admin_user}


def body(*records) -> bytes:
    return ("\n".join(jsonl(*records)) + "\n").encode()


@pytest.mark.parametrize(
    ("role", "expected"), [(None, 401), ("operator", 403), ("manager", 403), ("admin", 200)]
)
def test_import_upload_is_for_admins(roles, role, expected):
    api = client_for(roles.get(role))
    response = api.post(
        "/api/import/",
        {"file": SimpleUploadedFile("t.jsonl", body(ticket_line("A")))},
        format="multipart",
    )
    assert response.status_code == expected, response.content
    assert Ticket.objects.filter(external_id="A").exists() == (expected == 200)
    if expected != 200:
        assert "error" in response.json()


def test_import_upload_as_a_raw_body_reports_rejected_lines(admin_user):
    api = client_for(admin_user)
    payload = body(ticket_line("A"), "not json", ticket_line("B", status="maybe"))
    response = api.generic("POST", "/api/import/", payload, content_type="application/x-ndjson")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["lines"], data["created"], data["rejected"]) == (3, 1, 2)
    assert [e["line"] for e in data["errors"]] == [2, 3]
    assert data["errors"][1]["reason"] == "unknown status 'maybe'"
    again = api.generic("POST", "/api/import/", payload, content_type="application/x-ndjson")
    assert again.json()["skipped"] == 1 and again.json()["created"] == 0


def test_import_without_a_file_is_a_json_error(admin_user):
    response = client_for(admin_user).post("/api/import/", {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_large_upload_becomes_a_job_with_a_status(admin_user, operator, monkeypatch):
    monkeypatch.setattr(transfer, "SYNC_MAX_BYTES", 10)
    api = client_for(admin_user)
    response = api.post(
        "/api/import/",
        {"file": SimpleUploadedFile("t.jsonl", body(ticket_line("A"), ticket_line("B")))},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    job = response.json()
    # The test runs tasks in-process (as the embedded default does): already done.
    status = api.get(f"/api/import/{job['id']}/")
    assert status.status_code == 200
    data = status.json()
    assert data["status"] == "done" and data["summary"]["created"] == 2
    assert data["status_url"].endswith(f"/api/import/{job['id']}/")
    assert Ticket.objects.count() == 2
    assert client_for(operator).get(f"/api/import/{job['id']}/").status_code == 403
    assert api.get("/api/import/no-such-job/").status_code == 404


@pytest.mark.parametrize(
    ("role", "expected"), [(None, 401), ("operator", 403), ("manager", 200), ("admin", 200)]
)
def test_jsonl_export_is_for_managers(roles, role, expected):
    from tickets.transfer.importer import import_lines

    import_lines(jsonl(ticket_line("A"), ticket_line("B")))
    response = client_for(roles.get(role)).get("/api/export/tickets.jsonl")
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "application/x-ndjson"
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert [json.loads(x)["external_id"] for x in lines] == ["A", "B"]


def test_jsonl_export_period_filter(manager):
    from tickets.transfer.importer import import_lines

    assert (
        import_lines(
            jsonl(
                ticket_line("A"),
                ticket_line(
                    "B", created_at="2026-04-01T00:00:00+00:00", solved_at="2026-04-01T05:00:00Z"
                ),
            )
        ).rejected_total
        == 0
    )
    api = client_for(manager)
    response = api.get("/api/export/tickets.jsonl?created_after=2026-03-15T00:00:00Z")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [json.loads(x)["external_id"] for x in lines] == ["B"]
    assert api.get("/api/export/tickets.jsonl?created_after=nonsense").status_code == 400


def _csv(response) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_export_applies_the_list_filters(operator):
    vip = TagFactory(name="vip-csv")
    a = TicketFactory(subject="Refund please", status="open", priority="high")
    a.tags.add(vip)
    TicketFactory(subject="Other", status="open", priority="low")
    TicketFactory(subject='=HYPERLINK("http://evil")', status="solved", priority="high")
    api = client_for(operator)
    response = api.get(f"/api/tickets/export.csv?status=open&priority=high&tag={vip.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[0][:3] == ["id", "external_id", "subject"]
    assert [r[2] for r in rows[1:]] == ["Refund please"]
    assert rows[1][11] == "vip-csv"
    everything = _csv(api.get("/api/tickets/export.csv?priority=high"))
    formula = next(r for r in everything[1:] if "HYPERLINK" in r[2])
    assert formula[2].startswith("'=")  # a spreadsheet shows it as text
    assert api.get("/api/tickets/export.csv?status=bogus").status_code == 400


def test_csv_export_shows_only_visible_tickets(operator):
    from tests.factories.tickets import TeamFactory
    from tickets.models import WorkspaceSettings

    WorkspaceSettings.objects.update_or_create(pk=1, defaults={"restrict_operators_to_teams": True})
    TicketFactory(subject="Mine (no team)")
    TicketFactory(subject="Other team", team=TeamFactory(name="Billing-x"))
    rows = _csv(client_for(operator).get("/api/tickets/export.csv"))
    assert [r[2] for r in rows[1:]] == ["Mine (no team)"]


def test_csv_export_needs_a_role():
    assert client_for(None).get("/api/tickets/export.csv").status_code == 401
    nobody = UserFactory(username="nobody")
    assert client_for(nobody).get("/api/tickets/export.csv").status_code == 403


def test_a_job_that_fails_says_so(admin_user, manager):
    from tickets.transfer.jobs import _set, import_job_get, import_job_run

    job_id = "0" * 32
    _set(job_id, id=job_id, status="queued", lines_done=0, summary=None)
    with pytest.raises(FileNotFoundError):
        import_job_run(job_id=job_id, path="imports/missing.jsonl")
    job = import_job_get(job_id)
    assert job["status"] == "failed" and job["error"]
    body = client_for(admin_user).get(f"/api/import/{job_id}/").json()
    assert body["status"] == "failed" and body["summary"] is None
    assert client_for(manager).get(f"/api/import/{job_id}/").status_code == 403
