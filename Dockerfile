# syntax=docker/dockerfile:1
#
# The ecsdeploy Drone plugin image: a drop-in for drone-deploy-ecs that reads PLUGIN_* settings.
#
# ecsdeploy is pure Python, so one Dockerfile serves every platform. The builder stage makes the
# py3-none-any wheel on the build machine's own platform (no emulation needed); the final stage
# installs it for the target platform, where pip picks each dependency's wheel for that
# architecture. Build and push both architectures with:
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#       --build-arg VERSION="$(git describe --tags --always)" \
#       --tag myorg/ecsdeploy-drone:0.1.0 --push .

ARG PYTHON_IMAGE=python:3.12.8-slim-bookworm

FROM --platform=$BUILDPLATFORM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# Only what the wheel build reads (.dockerignore keeps the rest of the checkout out).
COPY pyproject.toml README.md LICENSE ./
COPY src/ ./src/
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .


FROM ${PYTHON_IMAGE}

ARG PYTHON_IMAGE
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="ecsdeploy-drone" \
      org.opencontainers.image.description="Drone plugin: deploy to Amazon ECS, watch your own deployment, roll back when it fails." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN --mount=type=bind,from=builder,source=/dist,target=/dist \
    pip install --no-cache-dir /dist/*.whl

# Drone runs plugins in the cloned workspace, which the plugin only reads: no root needed.
RUN useradd --system --uid 10001 --create-home --shell /usr/sbin/nologin ecsdeploy
USER 10001

ENTRYPOINT ["ecsdeploy-drone"]
