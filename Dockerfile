# Production image: gunicorn for the web, the same image runs the Celery worker and beat.
# Front-end assets come from the npm registry (package-lock.json), never from a CDN.
FROM node:20-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts \
    && mkdir -p vendor \
    && cp node_modules/htmx.org/dist/htmx.min.js node_modules/@picocss/pico/css/pico.min.css vendor/

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    MEDIA_ROOT=/data/media
# WeasyPrint (feedback PDFs) needs Pango and HarfBuzz, and a font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 app \
    && mkdir -p /data/media && chown app:app /data/media
WORKDIR /app
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY . .
COPY --from=assets /build/vendor/ static/vendor/
# The translation catalogues are compiled here (.mo files are build output, never committed).
RUN python -m config.catalogues compile
# collectstatic imports the production settings, which refuse to start without real values;
# these throwaway ones exist only for this build step (nothing connects anywhere).
RUN DEBUG=0 \
    SECRET_KEY=collectstatic-build-step-only-key-never-used-at-runtime-0123456789 \
    DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 \
    EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend \
    ANYMAIL_WEBHOOK_SECRET=build:build \
    python manage.py collectstatic --noinput --verbosity 0
USER app
EXPOSE 8000
# WEB_CONCURRENCY (gunicorn reads it) sets the number of workers.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--timeout", "60"]
