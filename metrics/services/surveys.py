"""Surveys through the ticket's own channel, and their answers.

A survey is an ordinary outbound message (`ticket_reply`, author_kind "system", so it
counts neither as a human response nor as a bot answer) listing the choices as numbered
text; email surveys also carry signed one-click links `/survey/<token>/<score>/`. If the
Message model has a `buttons` field (messenger inline buttons), it is filled too; numbered
text is the universal fallback every channel understands.

After a solve the customer gets CSAT (or CES, per settings); each answer brings the next
due question: CES if enabled, then NPS if the customer's last NPS is older than the
cool-down. A customer message that is a bare number right after a survey is its answer.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from helpdesk.exceptions import ApplicationError
from metrics.models import SCALES, MetricsSettings, Survey, SurveyKind, SurveyResponse
from tickets import dispatch
from tickets.models import AuthorKind, ChannelKind, Message, Status, Ticket

logger = logging.getLogger(__name__)

SALT = "metrics.survey"
BARE_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.!]?\s*$")


def survey_token(survey: Survey) -> str:
    return signing.dumps({"s": survey.pk}, salt=SALT, compress=True)


def survey_from_token(token: str) -> Survey | None:
    """The survey a link points at; None if the token is forged or expired."""
    s = MetricsSettings.load()
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(days=s.survey_expiry_days))
    except signing.BadSignature:
        return None
    return Survey.objects.select_related("ticket").filter(pk=data.get("s")).first()


def _question(kind: str) -> str:
    if kind == SurveyKind.CSAT:
        return _("How would you rate our help with your request?")
    if kind == SurveyKind.NPS:
        return _("How likely are you to recommend us to a friend or colleague?")
    return _("How easy was it to get your issue solved?")


def _labels(kind: str) -> dict[int, str]:
    if kind == SurveyKind.CSAT:
        return {
            5: _("Excellent"),
            4: _("Good"),
            3: _("Okay"),
            2: _("Poor"),
            1: _("Very poor"),
        }
    if kind == SurveyKind.CES:
        return {7: _("Very easy"), 1: _("Very difficult")}
    return {10: _("Extremely likely"), 0: _("Not at all likely")}


def survey_text(survey: Survey, *, links: bool) -> str:
    low, high = SCALES[survey.kind]
    labels = _labels(survey.kind)
    lines = [_question(survey.kind), ""]
    if survey.kind == SurveyKind.CSAT:
        for score in range(high, low - 1, -1):
            lines.append(f"{score} — {labels[score]}")
    else:
        lines.append(
            _("%(low)s = %(low_label)s … %(high)s = %(high_label)s")
            % {"low": low, "low_label": labels[low], "high": high, "high_label": labels[high]}
        )
    lines += ["", _("Reply with a number from %(low)s to %(high)s.") % {"low": low, "high": high}]
    if links:
        token = survey_token(survey)
        base = getattr(settings, "PUBLIC_BASE_URL", "")
        lines += ["", _("Or choose with one click:")]
        for score in range(high, low - 1, -1):
            url = base + reverse("survey-answer", kwargs={"token": token, "score": score})
            lines.append(f"{score}: {url}")
    return "\n".join(lines)


def _buttons(survey: Survey, text: str) -> dict:
    """The scale as choice buttons (Message.buttons menu format, see
    channels_in/adapters/buttons.py); a press comes back as the bare number."""
    low, high = SCALES[survey.kind]
    return {
        "type": "menu",
        "prompt": text.split("\n\n", 1)[0],
        "options": [{"key": str(n), "label": str(n)} for n in range(high, low - 1, -1)],
    }


def _has_buttons_field() -> bool:
    return any(f.name == "buttons" for f in Message._meta.get_fields())


def survey_send(*, ticket: Ticket, kind: str) -> Survey | None:
    """Send one survey through the ticket's channel; None if the ticket cannot take it."""
    from tickets.services import ticket_reply

    s = MetricsSettings.load()
    now = timezone.now()
    with transaction.atomic():
        survey = Survey.objects.create(
            kind=kind,
            ticket=ticket,
            customer_id=ticket.customer_id,
            channel_id=ticket.channel_id,
            agent_id=ticket.assignee_id,
            sent_at=now,
            expires_at=now + timedelta(days=s.survey_expiry_days),
        )
        language = ticket.customer.language or settings.LANGUAGE_CODE
        with override(language):
            text = survey_text(survey, links=ticket.channel.kind == ChannelKind.EMAIL)
        try:
            with transaction.atomic():
                message = ticket_reply(
                    ticket=ticket, author=None, author_kind=AuthorKind.SYSTEM, text=text
                )
        except ApplicationError as exc:
            logger.info("survey for #%s not sent: %s", ticket.pk, exc)
            survey.delete()
            return None
        if _has_buttons_field():
            Message.objects.filter(pk=message.pk).update(buttons=_buttons(survey, text))
        survey.message_id = message.pk
        survey.save(update_fields=["message_id"])
    return survey


def _nps_due(customer_id: int, s: MetricsSettings) -> bool:
    since = timezone.now() - timedelta(days=s.nps_cooldown_days)
    return not Survey.objects.filter(
        customer_id=customer_id, kind=SurveyKind.NPS, sent_at__gte=since
    ).exists()


def _due_kinds(ticket: Ticket, s: MetricsSettings) -> list[str]:
    kinds = []
    if s.csat_after_solve:
        kinds.append(SurveyKind.CSAT)
    if s.ces_after_solve:
        kinds.append(SurveyKind.CES)
    if s.nps_enabled and _nps_due(ticket.customer_id, s):
        kinds.append(SurveyKind.NPS)
    asked = set(Survey.objects.filter(ticket=ticket).values_list("kind", flat=True))
    return [k for k in kinds if k not in asked]


def survey_send_next(*, ticket: Ticket) -> Survey | None:
    """Send the next survey due for this ticket, if any."""
    kinds = _due_kinds(ticket, MetricsSettings.load())
    return survey_send(ticket=ticket, kind=kinds[0]) if kinds else None


def survey_send_after_solve(*, ticket_id: int) -> Survey | None:
    """Called after the solve commits; the ticket must still be solved and have a customer
    conversation (a human or bot answered)."""
    ticket = Ticket.objects.select_related("channel", "customer").filter(pk=ticket_id).first()
    if ticket is None or ticket.status != Status.SOLVED or ticket.merged_into_id:
        return None
    if ticket.agent_reply_count == 0 and ticket.last_agent_message_at is None:
        return None
    if Survey.objects.filter(ticket=ticket, answered_at__isnull=True).exists():
        return None
    return survey_send_next(ticket=ticket)


def survey_answer(
    *, survey: Survey, score: int, comment: str = "", source: str = "link"
) -> SurveyResponse:
    low, high = SCALES[survey.kind]
    if not low <= score <= high:
        raise ApplicationError(
            _("Choose a number from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
    now = timezone.now()
    with transaction.atomic():
        survey = Survey.objects.select_for_update().select_related("ticket").get(pk=survey.pk)
        first = survey.answered_at is None
        response, _created = SurveyResponse.objects.update_or_create(
            survey=survey,
            defaults={
                "kind": survey.kind,
                "score": score,
                "ticket_id": survey.ticket_id,
                "customer_id": survey.customer_id,
                "channel_id": survey.channel_id,
                "agent_id": survey.agent_id,
                "source": source,
                "created_at": now,
            },
        )
        if comment.strip():
            response.comment = comment.strip()[:4000]
            response.save(update_fields=["comment"])
        if first:
            survey.answered_at = now
            survey.save(update_fields=["answered_at"])
            if source != "link":
                transaction.on_commit(lambda: _send_next_after_answer(survey.ticket_id))
        dispatch.emit(dispatch.SURVEY_ANSWERED, survey=survey, response=response)
    return response


def _send_next_after_answer(ticket_id: int) -> None:
    ticket = Ticket.objects.select_related("channel", "customer").get(pk=ticket_id)
    if ticket.status in (Status.SOLVED, Status.OPEN):
        survey_send_next(ticket=ticket)


def survey_claims_reply(*, ticket: Ticket, msg) -> bool:
    """Is this customer message, arriving on a solved ticket, a bare-number survey answer?

    Then the intake keeps the ticket solved instead of reopening it.
    """
    match = BARE_NUMBER.match(msg.text or "")
    if not match:
        return False
    survey = (
        Survey.objects.filter(
            customer_id=ticket.customer_id,
            channel_id=ticket.channel_id,
            ticket_id=ticket.pk,
            answered_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-sent_at", "-pk")
        .first()
    )
    if survey is None:
        return False
    low, high = SCALES[survey.kind]
    return low <= int(match.group(1)) <= high


def survey_answer_from_message(*, ticket: Ticket, message, previous_status: str):
    """A bare number from the customer right after a survey is its answer.

    The ticket had been reopened by that message; it is put back to solved. The first text
    after an answer is stored as its comment (the ticket then stays reopened).
    """
    from tickets.services import ticket_set_status

    text = message.text or ""
    now = timezone.now()
    survey = (
        Survey.objects.filter(
            customer_id=ticket.customer_id,
            channel_id=ticket.channel_id,
            expires_at__gt=now,
            sent_at__lte=message.created_at,
        )
        .order_by("-sent_at", "-pk")
        .first()
    )
    if survey is None:
        return None
    later = Message.objects.filter(
        ticket_id=survey.ticket_id,
        direction="out",
        is_internal=False,
        created_at__gt=survey.sent_at,
    ).exclude(pk=survey.message_id)
    if later.exists():
        return None
    match = BARE_NUMBER.match(text)
    if match and survey.answered_at is None:
        low, high = SCALES[survey.kind]
        score = int(match.group(1))
        if not low <= score <= high:
            return None
        response = survey_answer(survey=survey, score=score, source="message")
    elif survey.answered_at is not None and text.strip() and not match:
        # The next words after an answer are kept as its comment; the ticket stays
        # reopened, since they may also be a new question for an operator.
        response = survey.response
        if response.comment:
            return None
        response.comment = text.strip()[:4000]
        response.save(update_fields=["comment"])
        return response
    else:
        return None
    if previous_status == Status.SOLVED and ticket.status != Status.SOLVED:
        ticket_set_status(ticket=ticket, status=Status.SOLVED, actor_label="survey")
    return response
