# The portal's image: gunicorn for the web, the same image runs the Celery worker and beat.
# Build: docker build -t hubportal .   Run the whole stack: docker compose up --build

# --- Front-end assets: GOV.UK Frontend compiled into static/build/ -----------------------
FROM node:22-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/build-assets.mjs scripts/
COPY static/src static/src
RUN npm run build

# --- The application ---------------------------------------------------------------------
FROM python:3.12-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project --no-cache

COPY . .
COPY --from=assets /src/static/build static/build

# Hashed, compressed static files for WhiteNoise. collectstatic needs settings to load:
# the key below exists only for this build step and is not in the final environment.
RUN DEBUG=false SECRET_KEY=collectstatic-only-build-step ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --no-input --verbosity 0

# An unprivileged user owns only what the portal writes: uploads, file mail, beat's schedule.
RUN groupadd --system hubportal \
    && useradd --system --gid hubportal --home-dir /app --no-create-home hubportal \
    && mkdir -p var/private var/mail \
    && chown -R hubportal:hubportal var/private var/mail \
    && chown hubportal:hubportal var
USER hubportal

ENV DEBUG=false
EXPOSE 8000
CMD ["gunicorn", "hubportal.wsgi:application", \
     "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", \
     "--access-logfile", "-"]
