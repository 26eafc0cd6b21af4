# syntax=docker/dockerfile:1
#
# The ecsdeploy Drone plugin image: a drop-in for drone-deploy-ecs that reads PLUGIN_* settings.
#
# ecsdeploy is pure Python, so one Dockerfile serves every platform. The builder stage makes the
# py3-none-any wheel on the build machine's own platform (no emulation needed); the final stage
# installs it into a virtual environment for the target platform, where pip picks each
# dependency's wheel for that architecture. Build and push both architectures with:
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#       --build-arg VERSION="$(git describe --tags --always)" \
#       --tag myorg/ecsdeploy-drone:0.1.0 --push .
#
# Build arguments:
#   PYTHON_IMAGE   the base of the final image (any Debian-like image with python3 and venv)
#   VERSION        the image's version label
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL  a package index other than PyPI, for pip in both stages
#   PIP_CERT       a CA bundle for that index (a path the build mounts, e.g. podman --volume)

ARG PYTHON_IMAGE=python:3.12.8-slim-bookworm

FROM --platform=$BUILDPLATFORM ${PYTHON_IMAGE} AS builder

ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_CERT
ENV PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# Only what the wheel build reads (.dockerignore keeps the rest of the checkout out).
COPY pyproject.toml README.md LICENSE ./
COPY src/ ./src/
RUN python3 -m venv /opt/builder \
    && /opt/builder/bin/pip wheel --no-cache-dir --no-deps --wheel-dir /dist .


FROM ${PYTHON_IMAGE}

ARG PYTHON_IMAGE
ARG VERSION=unreleased
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_CERT
LABEL org.opencontainers.image.title="ecsdeploy-drone" \
      org.opencontainers.image.description="Drone plugin: deploy to Amazon ECS, watch your own deployment, roll back when it fails." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/ecsdeploy/bin:$PATH

# A virtual environment: the same layout on the official Python image and on a Debian python3
# (which refuses system-wide pip installs); pip itself is removed once it has done its job.
# (COPY rather than RUN --mount=from=builder: buildah loses that mount when the builder stage
# comes from its cache; the wheel is a few hundred kilobytes.)
COPY --from=builder /dist/ /tmp/dist/
RUN python3 -m venv /opt/ecsdeploy \
    && /opt/ecsdeploy/bin/pip install --no-cache-dir /tmp/dist/*.whl \
    && /opt/ecsdeploy/bin/pip uninstall --yes --quiet pip \
    && rm -r /tmp/dist

# Drone runs plugins in the cloned workspace, which the plugin only reads: no root needed.
RUN useradd --uid 10001 --create-home --shell /usr/sbin/nologin ecsdeploy
USER 10001

ENTRYPOINT ["ecsdeploy-drone"]
