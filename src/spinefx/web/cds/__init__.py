"""``/cds-services``: the CDS Hooks 2.0 service, off unless ``SPINEFX_CDS_HOOKS=1``.

- :mod:`.hooks`: ``GET /cds-services`` (discovery) and ``POST /cds-services/{id}`` (the
  call), each with the EHR's signed JWT checked; the route module;
- :mod:`.rule`: the rule's documentation page, where each card's ``source`` links; a route
  module;
- :mod:`.config`: the service's settings read once (trusted issuers, CORS origins, FHIR
  servers), the JWT check and the audit entry of a card; shared;
- :mod:`.cors`: the CORS answers browser-based EHRs need (ASGI middleware); shared;
- :mod:`.fetch`: reading missing prefetch from an allowed FHIR server; shared.

The rule itself is :mod:`spinefx.fhir.cds`, the JWT check :mod:`spinefx.fhir.cds_auth`; both
need the ``fhir`` extra and are imported when a call comes, never at import.
"""

PREFIX = "/cds-services"
# A call's prefetch carries the patient's conditions and medications: far more than the rest
# of the app's 64 KiB limit (a long medication history runs to hundreds of KiB).
MAX_BODY_BYTES = 4 * 1024 * 1024
