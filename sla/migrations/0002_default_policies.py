"""A default calendar (Mon-Fri 09:00-18:00) and two policies, so a fresh install has SLAs."""

import datetime

from django.db import migrations

HOURS = (datetime.time(9), datetime.time(18))


def create_defaults(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    BusinessInterval = apps.get_model("sla", "BusinessInterval")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    EscalationStep = apps.get_model("sla", "EscalationStep")
    StuckStatusRule = apps.get_model("sla", "StuckStatusRule")
    if SlaPolicy.objects.exists():
        return
    calendar, _ = BusinessCalendar.objects.get_or_create(
        name="Office hours", defaults={"time_zone": "UTC"}
    )
    if not calendar.intervals.exists():
        BusinessInterval.objects.bulk_create(
            BusinessInterval(calendar=calendar, weekday=day, start=HOURS[0], end=HOURS[1])
            for day in range(5)
        )
    urgent = SlaPolicy.objects.create(
        name="Urgent/High",
        position=10,
        priorities=["urgent", "high"],
        first_response_minutes=30,
        next_response_minutes=60,
        resolution_minutes=480,
        business_hours=True,
        calendar=calendar,
    )
    standard = SlaPolicy.objects.create(
        name="Standard",
        position=100,
        first_response_minutes=60,
        next_response_minutes=240,
        resolution_minutes=1440,
        business_hours=True,
        calendar=calendar,
    )
    for policy in (urgent, standard):
        EscalationStep.objects.bulk_create(
            [
                EscalationStep(policy=policy, level=1, after_minutes=0, position=0,
                               action="notify_managers"),
                EscalationStep(policy=policy, level=1, after_minutes=0, position=1,
                               action="add_tag"),
                EscalationStep(policy=policy, level=2, after_minutes=60, position=0,
                               action="raise_priority"),
            ]
        )
        StuckStatusRule.objects.create(policy=policy, status="new", after_minutes=120)
        StuckStatusRule.objects.create(policy=policy, status="on_hold", after_minutes=2880)


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
