# One image for every service: `docker run IMAGE members|events|certificates|gateway`.
# No HEALTHCHECK here: which check applies depends on the service the container runs, so
# docker-compose.yml and deploy/k8s run `python -m alliance.healthcheck SERVICE` for each.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY services ./services
COPY alliance ./alliance
COPY members_svc ./members_svc
COPY events_svc ./events_svc
COPY certificates_svc ./certificates_svc
COPY gateway ./gateway
RUN pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 alliance
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    ALLIANCE_DATA_DIR=/var/lib/alliance
# The signing-keys directory exists in the image so a fresh named volume mounted there
# starts out owned by the service user, with the mode the key store expects.
RUN mkdir -p /var/lib/alliance/signing-keys \
    && chown -R alliance /var/lib/alliance \
    && chmod 0700 /var/lib/alliance/signing-keys
USER alliance
WORKDIR /home/alliance
EXPOSE 8000
# SIGTERM (Docker's and Kubernetes' stop signal) lets in-flight workers finish before the process exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "alliance.runner"]
CMD ["gateway"]
