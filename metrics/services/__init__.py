"""Every write of the metrics app: surveys and answers, revenue events, settings, facts."""

from metrics.services.facts import fact_first_response, fact_solved
from metrics.services.revenue import RevenueRow, revenue_import_csv, revenue_record
from metrics.services.surveys import (
    survey_answer,
    survey_answer_from_message,
    survey_claims_reply,
    survey_from_token,
    survey_send_after_solve,
    survey_send_next,
    survey_token,
)

__all__ = [
    "RevenueRow",
    "fact_first_response",
    "fact_solved",
    "revenue_import_csv",
    "revenue_record",
    "survey_answer",
    "survey_answer_from_message",
    "survey_claims_reply",
    "survey_from_token",
    "survey_send_after_solve",
    "survey_send_next",
    "survey_token",
]
