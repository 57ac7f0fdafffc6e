"""FHIR R4 and CDS Hooks: pure mapping and rules, no web or CLI code.

- :mod:`~spinefx.fhir.codes`: code systems and codes (ICD-10-CM, CPT, LOINC, SNOMED CT, RxNorm)
- :mod:`~spinefx.fhir.drugs`: osteoporosis drugs recognised by RxNorm code or name
- :mod:`~spinefx.fhir.reports`: imaging reports out of Bulk FHIR NDJSON, for case-finding
- :mod:`~spinefx.fhir.registry_map`: a registry case as FHIR resources
- :mod:`~spinefx.fhir.registry_import`: FHIR resources back into registry cases
- :mod:`~spinefx.fhir.bulk`: reading Bulk NDJSON files and Bundles, writing NDJSON
- :mod:`~spinefx.fhir.cds`: the CDS Hooks service's discovery document and cards
- :mod:`~spinefx.fhir.cds_auth`: the CDS Hooks JWT check

Resources are built as fhir.resources R4B models (which read and write R4 JSON) and serialised
from them; nothing writes FHIR JSON by hand.
"""
