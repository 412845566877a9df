"""Policy matching, the default policies, and the badges and filters for the operator UI."""

import datetime as dt

import pytest
import time_machine

from sla.models import SlaPolicy
from sla.selectors import (
    TicketFacts,
    sla_badges,
    sla_policy_match,
    sla_policy_matches,
    sla_ticket_clocks,
    sla_ticket_ids,
)
from sla.services import sla_sweep
from tests.factories.sla import SlaPolicyFactory
from tests.factories.tickets import TagFactory, TeamFactory
from tests.sla.conftest import T0
from tickets.models import Status, Ticket
from tickets.services import ticket_reply, ticket_set_status

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


def facts(priority="normal", kind="telegram", team=None, tags=()):
    return TicketFacts(priority, kind, team, frozenset(tags))


def test_conditions_all_must_hold_and_empty_means_any():
    SlaPolicy.objects.all().delete()
    vip, team = TagFactory(name="vip"), TeamFactory(name="B2B")
    policy = SlaPolicyFactory(
        priorities=["urgent", "high"], channel_kinds=["email"], teams=[team], tags=[vip]
    )
    ok = facts("high", "email", team.pk, {vip.pk})
    assert sla_policy_matches(policy=policy, facts=ok)
    assert not sla_policy_matches(policy=policy, facts=facts("low", "email", team.pk, {vip.pk}))
    assert not sla_policy_matches(policy=policy, facts=facts("high", "telegram", team.pk, {vip.pk}))
    assert not sla_policy_matches(policy=policy, facts=facts("high", "email", None, {vip.pk}))
    assert not sla_policy_matches(policy=policy, facts=facts("high", "email", team.pk))
    assert sla_policy_matches(policy=SlaPolicyFactory(), facts=facts())


def test_first_match_by_order_wins():
    SlaPolicy.objects.all().delete()
    catch_all = SlaPolicyFactory(name="All", position=50)
    urgent = SlaPolicyFactory(name="Urgent", position=10, priorities=["urgent"])
    email = SlaPolicyFactory(name="Email", position=20, channel_kinds=["email"])
    policies = list(SlaPolicy.objects.prefetch_related("teams", "tags").order_by("position"))
    assert sla_policy_match(facts=facts("urgent", "email"), policies=policies) == urgent
    assert sla_policy_match(facts=facts("normal", "email"), policies=policies) == email
    assert sla_policy_match(facts=facts("normal", "webchat"), policies=policies) == catch_all
    assert sla_policy_match(facts=facts(), policies=[urgent]) is None


def test_the_data_migration_ships_a_calendar_and_two_policies(customer_says):
    standard = SlaPolicy.objects.get(name="Standard")
    assert (standard.first_response_minutes, standard.resolution_minutes) == (60, 1440)
    assert standard.business_hours
    assert standard.calendar.intervals.count() == 5
    assert SlaPolicy.objects.get(name="Urgent/High").priorities == ["urgent", "high"]
    # A Monday 10:00 UTC message gets one business hour for the first response.
    with time_machine.travel(T0, tick=False):
        ticket = customer_says()
    [first] = [b for b in sla_ticket_clocks(ticket_id=ticket.pk) if b.metric == "first_response"]
    assert first.due_at == T0 + 60 * MIN


def test_badges_in_one_query(policy, customer_says, agent, django_assert_num_queries):
    with time_machine.travel(T0, tick=False):
        running = customer_says(user="a")
        met = customer_says(user="b")
        paused = customer_says(user="c")
        ticket_reply(ticket=met, author=agent, text="hi")
    with time_machine.travel(T0 + 20 * MIN, tick=False):
        ticket_reply(ticket=paused, author=agent, text="need info")
        ticket_set_status(ticket=paused, status=Status.PENDING)
    now = T0 + 50 * MIN
    with django_assert_num_queries(1):
        badges = sla_badges(ticket_ids=[running.pk, met.pk, paused.pk, 999], now=now)
    assert set(badges) == {running.pk, met.pk, paused.pk}
    assert (badges[running.pk].state, badges[running.pk].metric) == ("warning", "first_response")
    assert badges[running.pk].seconds_left == 600
    assert (badges[met.pk].state, badges[met.pk].metric) == ("running", "resolution")
    assert badges[paused.pk].state == "paused"
    assert badges[paused.pk].seconds_left == (480 - 20) * 60
    later = sla_badges(ticket_ids=[running.pk], now=T0 + 75 * MIN)[running.pk]
    assert (later.state, later.overdue_seconds) == ("breached", 900)


def test_overdue_and_at_risk_filters(policy, customer_says, agent):
    with time_machine.travel(T0, tick=False):
        late = customer_says(user="a")
    with time_machine.travel(T0 + 20 * MIN, tick=False):
        risky = customer_says(user="b")
        fine = customer_says(user="c")
        ticket_reply(ticket=fine, author=agent, text="hi")
    now = T0 + 66 * MIN
    with time_machine.travel(now, tick=False):
        overdue = set(Ticket.objects.filter(pk__in=sla_ticket_ids(state="overdue")).values_list(
            "pk", flat=True))  # fmt: skip
        at_risk = set(sla_ticket_ids(state="at_risk").values_list("ticket_id", flat=True))
        assert overdue == {late.pk}
        assert at_risk == {risky.pk}
        sla_sweep()  # after the sweep the breach is still overdue
        assert set(sla_ticket_ids(state="overdue").values_list("ticket_id", flat=True)) == {late.pk}
    with pytest.raises(ValueError, match="unknown"):
        sla_ticket_ids(state="soon")
