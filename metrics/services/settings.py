"""The manager edits ROI inputs and survey options."""

from __future__ import annotations

from django.db import transaction

from metrics.models import MetricsSettings


def metrics_settings_update(*, form) -> MetricsSettings:
    """Save a valid `MetricsSettingsForm` bound to the settings row."""
    with transaction.atomic():
        return form.save()
