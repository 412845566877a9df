"""Import jobs started from the API: a large upload is stored, imported by a Celery task,
and its state (queued, running with progress, done with the summary, failed) is kept in
the cache under the job id for a day. Nothing of a job lives in the database or in a web
process: any web replica answers the status, any worker runs it.
"""

from __future__ import annotations

import logging
import re
import uuid

from celery import shared_task
from django.core.cache import cache
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.utils import timezone

from tickets.transfer.importer import import_lines

logger = logging.getLogger(__name__)

TTL = 24 * 3600
JOB_ID = re.compile(r"[0-9a-f]{32}")
# Rejected lines a job keeps for its status answer (the total is always given).
MAX_ERRORS_SHOWN = 1000


def _key(job_id: str) -> str:
    return f"transfer:import:{job_id}"


def import_job_get(job_id: str) -> dict | None:
    if not JOB_ID.fullmatch(job_id):
        return None
    return cache.get(_key(job_id))


def _set(job_id: str, **state) -> None:
    current = cache.get(_key(job_id)) or {}
    current.update(state, updated_at=timezone.now().isoformat())
    cache.set(_key(job_id), current, TTL)


def import_job_start(*, upload: File, user_id: int | None) -> str:
    """Store the file and queue its import; returns the job id."""
    job_id = uuid.uuid4().hex
    path = default_storage.save(f"imports/{job_id}.jsonl", upload)
    _set(job_id, id=job_id, status="queued", lines_done=0, user_id=user_id, summary=None)
    import_job_run.delay(job_id=job_id, path=path)
    return job_id


@shared_task(name="tickets.import_job_run", acks_late=True)
def import_job_run(*, job_id: str, path: str) -> None:
    _set(job_id, status="running")
    try:
        with default_storage.open(path, "rb") as fh:
            summary = import_lines(fh, progress=lambda n: _set(job_id, lines_done=n))
    except Exception as exc:  # the job must say it failed, whatever happened
        logger.exception("import job %s failed", job_id)
        _set(job_id, status="failed", error=str(exc)[:500])
        raise
    else:
        _set(
            job_id,
            status="done",
            lines_done=summary.lines,
            summary=summary.as_dict(max_rejects=MAX_ERRORS_SHOWN),
        )
    finally:
        default_storage.delete(path)
