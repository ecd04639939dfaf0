"""The services of the platform: the one list every runner, probe and operator tool reads.

Entry points are named as ``module:Class`` strings so that reading the list imports no
service; only the composition root (``alliance.runner``) turns them into classes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    """One deployable service: its nameko name and where its class lives."""

    name: str
    entrypoint: str
    domain: bool = True


SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec("members", "members_svc.service:MembersService"),
        ServiceSpec("events", "events_svc.service:EventsService"),
        ServiceSpec("certificates", "certificates_svc.service:CertificatesService"),
        ServiceSpec("gateway", "gateway.service:GatewayService", domain=False),
    )
}

#: The services behind the gateway, in start-up order; each answers an RPC ``ping``.
DOMAIN_SERVICES: tuple[str, ...] = tuple(name for name, spec in SERVICES.items() if spec.domain)
GATEWAY = "gateway"
