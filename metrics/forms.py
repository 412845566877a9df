from django import forms
from django.utils.translation import gettext_lazy as _

from metrics.models import MetricsSettings


class MetricsSettingsForm(forms.ModelForm):
    class Meta:
        model = MetricsSettings
        fields = [
            "agent_hourly_cost",
            "tool_costs_per_month",
            "attribution_window_days",
            "average_check",
            "currency",
            "fcr_window_days",
            "default_handle_minutes",
            "csat_after_solve",
            "ces_after_solve",
            "nps_enabled",
            "nps_cooldown_days",
            "survey_expiry_days",
            "service_level_percent",
            "service_level_seconds",
            "forecast_weeks",
        ]


class RevenueUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))


class WhatIfForm(forms.Form):
    frt_from = forms.FloatField(label=_("First response now, min"), min_value=0)
    frt_to = forms.FloatField(label=_("First response then, min"), min_value=0)


class SurveyCommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Anything to add?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
