# Lab Registry: the API served by uvicorn, as a non-root user, data in the /data volume (SQLite by default).
#
#   docker build -t lab-registry .
#   docker run --rm -v lab-registry-data:/data lab-registry lab-registry migrate    # schema + reference data, first
#   docker run -d -p 8000:8000 -v lab-registry-data:/data lab-registry              # then serve
#
# Migrations are a separate command on purpose: several replicas must not race to migrate at start.
# For PostgreSQL, pass -e DATABASE_URL=postgresql+asyncpg://user:password@host/db to both commands.

FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# Runtime dependencies only, pinned with hashes; this layer is rebuilt only when the lock changes.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes -r /tmp/requirements.lock

# The project as a wheel (migrations inside it, see docs/architecture.md), installed like any package: the image
# holds the installed package only, not the checkout.
WORKDIR /build
COPY pyproject.toml README.md ./
COPY migrations ./migrations
COPY app ./app
RUN pip wheel --no-deps --wheel-dir /build/dist . \
    && pip install --no-deps /build/dist/lab_registry-*.whl

FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/lab_registry.db

RUN groupadd --system --gid 10001 lab-registry \
    && useradd --system --uid 10001 --gid lab-registry --no-create-home --home-dir /srv/lab-registry \
       --shell /usr/sbin/nologin lab-registry \
    && mkdir /data \
    && chown lab-registry:lab-registry /data

COPY --from=builder /opt/venv /opt/venv

WORKDIR /srv/lab-registry
USER lab-registry
VOLUME ["/data"]
EXPOSE 8000

CMD ["lab-registry", "serve", "--host", "0.0.0.0", "--port", "8000"]
