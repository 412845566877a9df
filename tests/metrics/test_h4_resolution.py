"""The resolution values of one bucket (read for a median or p90) are the values RESOLUTION
gives, whether the ticket has no fact, a fact without a first solve, or a recorded one."""

import pytest

from metrics.models import TicketFact
from metrics.rollup import _in_range, _resolution_values
from metrics.selectors.responsiveness import RESOLUTION
from tests.metrics.conftest import at, make_ticket
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_resolution_values_of_a_range_equal_the_resolution_expression():
    hours = [1, 2, 3, 5, 8, 13, 21, 34]
    for i, h in enumerate(hours):
        t = make_ticket(created=at(0), frt_min=5, solved=at(0, h))
        kind = i % 4
        if kind == 1:  # a fact without a first solve: solved_at − created_at
            TicketFact.objects.create(ticket=t)
        elif kind == 2:  # the first solve recorded earlier than the latest solve
            TicketFact.objects.create(
                ticket=t, first_solved_at=at(0, h - 0.5), resolution_seconds=(h - 0.5) * 3600
            )
        elif kind == 3:  # a first solve without its seconds: computed from it
            TicketFact.objects.create(ticket=t, first_solved_at=at(0, h - 0.25))
    qs = Ticket.objects.filter(merged_into__isnull=True)
    for lo, hi in ((None, None), (0, 4 * 3600), (2 * 3600, 9 * 3600), (20 * 3600, None)):
        got = sorted(_resolution_values(qs, lo, hi))
        assert got == sorted(_in_range(qs, RESOLUTION, lo, hi))
    expected = [(h - (0, 0, 0.5, 0.25)[i % 4]) * 3600 for i, h in enumerate(hours)]
    assert sorted(_resolution_values(qs, None, None)) == pytest.approx(sorted(expected))
