"""What a queue row shows that the view prepares (not read from the template per row)."""

import pytest

from tests.factories.tickets import TicketFactory

pytestmark = pytest.mark.django_db


def test_row_status_label_in_the_operators_language(operator_client):
    TicketFactory(status="pending")
    html = operator_client.get("/").content.decode()
    assert 'st-pending">Pending<' in html
    operator_client.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    response = operator_client.get("/")
    assert response.context["tickets"][0].status_label == "Ждёт клиента"
    assert 'st-pending">Ждёт клиента<' in response.content.decode()
