# The help desk image: web (gunicorn), realtime (uvicorn), worker and beat (Celery) all run
# from it with different commands; see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HELPDESK_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/var/media

WORKDIR /app

RUN groupadd --system --gid 10001 helpdesk \
 && useradd --system --uid 10001 --gid helpdesk --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin helpdesk

# Runtime dependencies only (no [dev] extra), in their own layer so code edits keep the cache.
# The project lists no packages of its own: the code runs from /app.
COPY pyproject.toml README.md ./
RUN pip install . && rm -rf build *.egg-info

# The code stays owned by root and read-only to the service user; only var/ (attachments,
# beat schedule) and staticfiles/ are writable.
COPY . .
RUN mkdir -p /app/var/media /app/staticfiles \
 && chown -R helpdesk:helpdesk /app/var /app/staticfiles

USER helpdesk

# Collect static files at build time, with the production storage (hashed, compressed).
# The key is a throwaway: settings refuse DEBUG=0 without one, and nothing is signed here.
RUN SECRET_KEY=collectstatic-at-build-time-only-not-a-secret-0123456789 DEBUG=0 \
    python manage.py collectstatic --noinput

EXPOSE 8000

# Healthchecks are per service in docker-compose.yml (worker and beat serve no HTTP):
#   python /app/deploy/healthcheck.py http://127.0.0.1:8000/healthz
CMD ["gunicorn", "helpdesk.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", \
     "--forwarded-allow-ips", "*", "--access-logfile", "-", "--no-control-socket"]
