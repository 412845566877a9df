"""Surveys go out through the ticket's channel after solve; answers come back as bare
numbers or one-click links; CSAT / NPS / CES to the exact value."""

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from metrics.filters import MetricFilter
from metrics.models import MetricsSettings, Survey, SurveyResponse
from metrics.selectors.surveys import metric_ces, metric_csat, metric_nps
from metrics.services import survey_answer, survey_send_after_solve, survey_token
from tests.factories.tickets import ChannelFactory, UserFactory
from tickets.inbound import InboundMessage, SenderIdentity
from tickets.models import Message, Status, Ticket
from tickets.services import receive, ticket_reply, ticket_set_status

pytestmark = pytest.mark.django_db
_seq = iter(range(1, 10**6))


def write(channel, text, user="u1"):
    msg = InboundMessage(
        channel_id=channel.pk,
        external_message_id=f"m{next(_seq)}",
        sender=SenderIdentity(external_id=user, name="Irina"),
        text=text,
        sent_at=timezone.now(),
    )
    return receive(msg=msg)


@pytest.fixture
def solved_ticket(db, django_capture_on_commit_callbacks):
    channel = ChannelFactory(kind="generic")
    agent = UserFactory(username="anna", role="operator")
    ticket = write(channel, "Where is my order?").message.ticket
    ticket_reply(ticket=ticket, author=agent, text="On its way!")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=ticket, status=Status.SOLVED, actor=agent)
    return Ticket.objects.get(pk=ticket.pk)


def whole_period():
    now = timezone.now()
    return MetricFilter(start=now - timedelta(days=1), end=now + timedelta(days=1))


def test_csat_goes_out_after_solve_as_system_message(solved_ticket):
    survey = Survey.objects.get(ticket=solved_ticket)
    assert survey.kind == "csat" and survey.agent.username == "anna"
    msg = Message.objects.get(pk=survey.message_id)
    assert msg.author_kind == "system" and msg.direction == "out" and not msg.is_internal
    assert "5 — Excellent" in msg.text and "1 — Very poor" in msg.text
    assert "/survey/" not in msg.text  # links only for email
    t = Ticket.objects.get(pk=solved_ticket.pk)
    assert t.agent_reply_count == 1  # the survey is not a human reply
    # Messengers show the scale as buttons; a press comes back as the bare number.
    assert msg.buttons["type"] == "menu"
    assert [o["key"] for o in msg.buttons["options"]] == ["5", "4", "3", "2", "1"]
    assert msg.buttons["prompt"] and "1 — Very poor" not in msg.buttons["prompt"]


def test_bare_number_is_the_answer_and_ticket_stays_solved(solved_ticket, settings):
    MetricsSettings.objects.update_or_create(pk=1, defaults={"nps_enabled": False})
    write(solved_ticket.channel, " 4 ")
    r = SurveyResponse.objects.get()
    assert (r.kind, r.score, r.source, r.agent.username) == ("csat", 4, "message", "anna")
    ticket = Ticket.objects.get(pk=solved_ticket.pk)
    assert ticket.status == Status.SOLVED
    assert ticket.reopen_count == 0  # an answer to the survey is no reopen
    assert ticket.events.filter(kind="reply_to_solved").exists()
    assert metric_csat(whole_period()).numerator == 1
    # The next words become the comment (and the ticket is reopened for an operator).
    write(solved_ticket.channel, "The courier was late though")
    assert SurveyResponse.objects.get().comment == "The courier was late though"
    assert Ticket.objects.get(pk=solved_ticket.pk).status == Status.OPEN


def test_out_of_range_or_text_is_not_an_answer(solved_ticket):
    write(solved_ticket.channel, "9")
    write(solved_ticket.channel, "It still has not arrived")
    assert not SurveyResponse.objects.exists()
    assert Ticket.objects.get(pk=solved_ticket.pk).status == Status.OPEN


def test_nps_follows_csat_then_cools_down(solved_ticket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        write(solved_ticket.channel, "5")
    kinds = list(Survey.objects.order_by("sent_at", "pk").values_list("kind", flat=True))
    assert kinds == ["csat", "nps"]
    with django_capture_on_commit_callbacks(execute=True):
        write(solved_ticket.channel, "10")
    assert SurveyResponse.objects.filter(kind="nps", score=10).exists()
    # A second ticket of the same customer gets CSAT only: NPS is in its cool-down.
    agent = UserFactory(username="anna")
    t2 = write(solved_ticket.channel, "Another question").message.ticket
    assert t2.pk != solved_ticket.pk or t2.status == Status.OPEN
    ticket_reply(ticket=t2, author=agent, text="Answer")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=t2, status=Status.SOLVED)
    survey_kinds = Survey.objects.filter(kind="nps").count()
    assert survey_kinds == 1


def test_email_survey_has_signed_one_click_links(client):
    channel = ChannelFactory(kind="email", name="mail")
    t = write(channel, "Hello").message.ticket
    ticket_reply(ticket=t, author=UserFactory(username="anna"), text="Hi")
    Ticket.objects.filter(pk=t.pk).update(status=Status.SOLVED, solved_at=timezone.now())
    survey = survey_send_after_solve(ticket_id=t.pk)
    text = Message.objects.get(pk=survey.message_id).text
    links = re.findall(r"/survey/([^/]+)/(\d+)/", text)
    assert [int(score) for _t, score in links] == [5, 4, 3, 2, 1]
    token = links[0][0]
    assert survey_token(survey).split(":")[0] == token.split(":")[0]
    r = client.get(f"/survey/{token}/2/")
    assert r.status_code == 200 and SurveyResponse.objects.get().score == 2
    r = client.post(f"/survey/{token}/2/", {"comment": "Slow <b>reply</b>"})
    assert r.status_code == 200
    assert SurveyResponse.objects.get().comment == "Slow <b>reply</b>"
    assert client.get(f"/survey/{token[:-2]}xx/5/").status_code == 404
    assert client.get(f"/survey/{token}/9/").status_code == 400


def test_expired_link_is_refused(client, solved_ticket):
    from time_machine import travel

    survey = Survey.objects.get()
    token = survey_token(survey)
    with travel(timezone.now() + timedelta(days=8)):
        assert client.get(f"/survey/{token}/5/").status_code == 404


def _answer(ticket, kind, score):
    s = Survey.objects.create(
        kind=kind,
        ticket=ticket,
        customer=ticket.customer,
        channel=ticket.channel,
        expires_at=timezone.now() + timedelta(days=1),
    )
    return survey_answer(survey=s, score=score)


def test_csat_nps_ces_docs_examples(solved_ticket):
    Survey.objects.all().delete()
    for score in (5, 5, 4, 3, 1):
        _answer(solved_ticket, "csat", score)
    for score in (10, 9, 8, 6, 3):
        _answer(solved_ticket, "nps", score)
    for score in (7, 5, 3):
        _answer(solved_ticket, "ces", score)
    f = whole_period()
    csat = metric_csat(f)
    assert (csat.numerator, csat.denominator, csat.value) == (3, 5, 0.6)
    nps = metric_nps(f)
    assert (nps.promoters, nps.detractors, nps.value) == (2, 2, 0.0)
    assert metric_ces(f).mean == 5.0
    empty = replace(f, start=f.start - timedelta(days=30), end=f.start - timedelta(days=29))
    assert metric_csat(empty).value is None and metric_nps(empty).value is None
