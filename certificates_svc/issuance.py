"""Turning certificate requests into numbered, signed certificates, one or thousands at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from certificates_svc import domain
from certificates_svc.repository import CertificatesRepository
from certificates_svc.signing import Signer


class CertificateFactory:
    """Draws numbers and status-list slots in ranges, then builds and signs in-process."""

    def __init__(self, repository: CertificatesRepository, signer: Signer) -> None:
        self.repository = repository
        self.signer = signer

    def build(
        self, drafts: list[tuple[dict[str, Any], dict[str, Any]]], issuer: dict[str, Any], now: datetime
    ) -> list[dict[str, Any]]:
        """Signed certificates for ``(request, holder)`` pairs of one issuer.

        One counter update per number series, one for the status slots and one for the list positions, however
        many certificates: a serial drawn but not stored leaves a gap, never a reuse.
        """
        if not drafts:
            return []
        renders: list[Any] = []
        series: dict[str, list[int]] = {}
        for position, (request, _holder) in enumerate(drafts):
            key, render = domain.number_plan(request["kind"], request.get("level"), issuer, now.year)
            renders.append(render)
            series.setdefault(key, []).append(position)
        numbers: list[str] = [""] * len(drafts)
        for key, positions in series.items():
            first = self.repository.reserve_serials(key, len(positions))
            for offset, position in enumerate(positions):
                numbers[position] = renders[position](first + offset)
        first_index = self.repository.reserve_status_indices(len(drafts))
        first_position = self.repository.reserve_positions(len(drafts))
        certificates = []
        for offset, (request, holder) in enumerate(drafts):
            certificate = self._signed(request, holder, issuer, numbers[offset], first_index + offset, now)
            certificate["position"] = first_position + offset
            certificates.append(certificate)
        return certificates

    def _signed(
        self,
        request: dict[str, Any],
        holder: dict[str, Any],
        issuer: dict[str, Any],
        number: str,
        status_index: int,
        now: datetime,
    ) -> dict[str, Any]:
        certificate = domain.new_certificate(
            request, number, holder, issuer, now, status_index, self.signer.issuer_did(issuer["_id"])
        )
        certificate["credential"] = self.signer.credential_for(
            number=number,
            issuer_id=issuer["_id"],
            issuer_name=issuer["name"],
            holder=domain.credential_holder(holder),
            achievement=domain.achievement_of(certificate),
            valid_from=now,
            valid_until=request.get("valid_until"),
            status=domain.status_entry_of(self.signer, status_index, issuer["_id"]),
        )
        return certificate
