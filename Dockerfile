# The production image: gunicorn serving config.wsgi, the same image runs the Celery worker and beat
# (docker-compose.yml). Python 3.11 because requirements.lock is resolved for 3.11.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    DJANGO_SETTINGS_MODULE=config.settings_production

WORKDIR /app

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app

# Runtime dependencies only, every file checked against the lock's hashes. Copied alone first so
# the layer is rebuilt only when the lock changes.
COPY requirements.lock ./
RUN python -m pip install --require-hashes --no-deps -r requirements.lock

# The code stays owned by root: the app user can read it, not change it.
COPY . .

# Static files are collected once, at build time, with the production storage (hashed names,
# compressed copies); whitenoise serves them. The key below exists only for this build step:
# production settings refuse to load without one, and collectstatic never signs anything.
RUN SECRET_KEY=collectstatic-build-step-only-not-a-secret-0123456789 \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media /app/var/celery \
    && chown app:app /app/var/media /app/var/celery

USER app

EXPOSE 8000

# 2 cores per container is the reference machine: 3 processes x 4 threads. --max-requests recycles
# workers now and then so a slow leak cannot grow without bound. Not more often: a new worker
# spends about 2 s of CPU starting and on its first pages (templates, compiled statements, the
# per-process memos, all bounded); every 2,000 requests that was an eighth of two cores at 250
# requests a second (issue 18, BENCHMARKS.md).
CMD ["gunicorn", "config.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--workers", "3", "--threads", "4", \
     "--timeout", "30", "--graceful-timeout", "25", "--keep-alive", "5", \
     "--max-requests", "20000", "--max-requests-jitter", "2000", \
     "--no-control-socket", \
     "--access-logfile", "-", "--error-logfile", "-"]
