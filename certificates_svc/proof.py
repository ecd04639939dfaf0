"""Data Integrity proofs with the ``eddsa-jcs-2022`` cryptosuite (W3C vc-di-eddsa), for any document.

The proof options (the proof without ``proofValue``, with the document's
``@context`` copied in) and the unsecured document are each canonicalised with
JCS (RFC 8785) and hashed with SHA-256; Ed25519 signs
``hash(options) || hash(document)``; ``proofValue`` is the signature in
multibase base58btc (``z…``). The ``@context`` stays in the published proof,
as in the specification's test vectors.

The proof is published as a one-element array, the form the Open Badges 3.0
JSON Schema requires; a lone proof object (credentials signed before) is read
the same way.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime
from typing import Any

import base58
import rfc8785
from cryptography.exceptions import InvalidSignature

from certificates_svc.keys import KeyResolutionError, SigningKey, resolve_verification_method
from services.clock import parse_rfc3339, rfc3339

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"


def _hash_data(unsecured: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    return hashlib.sha256(rfc8785.dumps(proof_options)).digest() + hashlib.sha256(rfc8785.dumps(unsecured)).digest()


def sign_document(
    document: dict[str, Any],
    key: SigningKey,
    verification_method: str,
    created: datetime,
) -> dict[str, Any]:
    """Return a copy of ``document`` with an ``eddsa-jcs-2022`` Data Integrity proof."""
    if "proof" in document:
        raise ValueError("the credential already has a proof")
    unsecured = copy.deepcopy(document)
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": rfc3339(created, "seconds"),
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    if "@context" in unsecured:
        proof["@context"] = copy.deepcopy(unsecured["@context"])
    signature = key.sign(_hash_data(unsecured, proof))
    proof["proofValue"] = "z" + base58.b58encode(signature).decode("ascii")
    return {**unsecured, "proof": [proof]}


def single_proof(document: dict[str, Any]) -> Any:
    """The document's one proof, whether published as an object or a one-element array."""
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        return proof[0]
    return proof


def issuer_id(document: dict[str, Any]) -> Any:
    """The issuer's id, whether ``issuer`` is a profile object or a bare id."""
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def verify_proof(document: dict[str, Any], did_document: dict[str, Any]) -> list[str]:
    """Check the ``eddsa-jcs-2022`` proof of ``document``; return the problems found."""
    proof = single_proof(document)
    if proof is None:
        return ["the document has no proof"]
    if not isinstance(proof, dict):
        return ["only a single proof is supported"]
    problems = []
    if proof.get("type") != PROOF_TYPE:
        problems.append(f"proof type is {proof.get('type')!r}, expected {PROOF_TYPE}")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        problems.append(f"cryptosuite is {proof.get('cryptosuite')!r}, expected {CRYPTOSUITE}")
    if proof.get("proofPurpose") != PROOF_PURPOSE:
        problems.append(f"proof purpose is {proof.get('proofPurpose')!r}, expected {PROOF_PURPOSE}")
    if "created" in proof:
        try:
            parse_rfc3339(proof["created"])
        except ValueError as exc:
            problems.append(f"proof created: {exc}")
    vm_id = proof.get("verificationMethod")
    signer = issuer_id(document)
    if did_document.get("id") != signer:
        problems.append(f"the issuer {signer!r} is not the DID document subject {did_document.get('id')!r}")
    try:
        public_key = resolve_verification_method(did_document, vm_id, PROOF_PURPOSE)
    except KeyResolutionError as exc:
        problems.append(f"signing key: {exc}")
        public_key = None

    proof_value = proof.get("proofValue")
    signature = None
    if not isinstance(proof_value, str) or not proof_value.startswith("z"):
        problems.append("proofValue must be multibase base58btc, starting with 'z'")
    else:
        try:
            signature = base58.b58decode(proof_value[1:])
        except ValueError:
            problems.append("proofValue is not valid base58btc")
        if signature is not None and len(signature) != 64:
            problems.append(f"proofValue decodes to {len(signature)} bytes, not a 64-byte signature")
            signature = None

    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options:
        # The document's contexts must begin with the ones that were signed.
        signed_context = options["@context"]
        signed_context = signed_context if isinstance(signed_context, list) else [signed_context]
        document_context = unsecured.get("@context")
        document_context = document_context if isinstance(document_context, list) else [document_context]
        if document_context[: len(signed_context)] != signed_context:
            problems.append("the document @context does not start with the proof @context")
        unsecured["@context"] = options["@context"]

    if public_key is None or signature is None or problems:
        return problems
    try:
        hash_data = _hash_data(unsecured, options)
    except (TypeError, ValueError) as exc:
        return [f"the document cannot be canonicalised with JCS: {exc}"]
    try:
        public_key.verify(signature, hash_data)
    except InvalidSignature:
        return ["the signature does not match the document: it was altered or signed by another key"]
    return []
