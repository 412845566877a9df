import datetime

import factory

from sla.models import BusinessCalendar, BusinessInterval, CalendarDay, EscalationStep, SlaPolicy


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    """Mon-Fri 09:00-18:00 unless `hours` says otherwise ({weekday: [(start, end)]})."""

    class Meta:
        model = BusinessCalendar
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "UTC"

    @factory.post_generation
    def hours(obj, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = {d: [(datetime.time(9), datetime.time(18))] for d in range(5)}
        for weekday, intervals in extracted.items():
            for start, end in intervals:
                BusinessInterval.objects.create(calendar=obj, weekday=weekday, start=start, end=end)


class CalendarDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarDay

    calendar = factory.SubFactory(BusinessCalendarFactory)
    date = datetime.date(2025, 12, 25)
    name = "Holiday"


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    """Calendar-time targets by default: 60 / 120 / 480 minutes."""

    class Meta:
        model = SlaPolicy
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Policy {n}")
    position = factory.Sequence(lambda n: n)
    first_response_minutes = 60
    next_response_minutes = 120
    resolution_minutes = 480
    business_hours = False
    calendar = None

    @factory.post_generation
    def teams(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.teams.set(extracted)

    @factory.post_generation
    def tags(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.tags.set(extracted)


class EscalationStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationStep

    policy = factory.SubFactory(SlaPolicyFactory)
    level = 1
    after_minutes = 0
    action = "notify_managers"
