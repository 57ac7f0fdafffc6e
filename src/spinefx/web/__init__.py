"""The web front end: server-rendered pages and the ``/api/v1`` JSON API over the core.

One package per audience, one route module per resource (see docs/architecture.md):
:mod:`~spinefx.web.patients` (home, self-check, Learn, Find a specialist),
:mod:`~spinefx.web.clinician` (grading, candidacy, follow-up plan),
:mod:`~spinefx.web.registry` (the registry's pages) and :mod:`~spinefx.web.api`. Shared by them
and owned by none: :mod:`~spinefx.web.deps` (dependencies), :mod:`~spinefx.web.errors` (every
error answered, as a page or a problem), :mod:`~spinefx.web.forms` (the one form machinery),
:mod:`~spinefx.web.templating`, :mod:`~spinefx.web.search`, :mod:`~spinefx.web.tools`;
:mod:`~spinefx.web.app` puts them together (``create_app``).

>>> from spinefx.web import Settings, create_app
>>> app = create_app(Settings(data_dir="/tmp/spinefx-example"))
>>> app.title
'spinefx'
"""

from spinefx.web.app import create_app
from spinefx.web.settings import Settings

__all__ = ["Settings", "create_app"]
