# One image for every service: `docker run IMAGE members|events|certificates|gateway`.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY services ./services
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
RUN mkdir -p /var/lib/alliance && chown alliance /var/lib/alliance
USER alliance
WORKDIR /home/alliance
EXPOSE 8000
ENTRYPOINT ["python", "-m", "services.runner"]
CMD ["gateway"]
