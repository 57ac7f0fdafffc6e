"""``/api/v1``: the JSON API, one route module per resource.

- :mod:`.rules`: ``POST /api/v1/<rule>``, the four clinical rules;
- :mod:`.specialists`: ``GET /api/v1/specialists``, the specialist search;
- :mod:`.cases`, :mod:`.rows`, :mod:`.worklist`, :mod:`.kpis`, :mod:`.audit`: the registry under
  ``/api/v1/registry`` (a bearer token: ``spinefx registry token create``).

Bodies are read and validated by the routes themselves (:mod:`.bodies`), so an input error names
the same fields with the same words as the CLI; every error is an RFC 9457 problem
(:mod:`spinefx.web.errors`), and :mod:`.openapi` documents the bodies the routes read.
"""

PREFIX = "/api/v1"
TAGS = ("api",)
REGISTRY_PREFIX = f"{PREFIX}/registry"
REGISTRY_TAGS = ("registry",)
