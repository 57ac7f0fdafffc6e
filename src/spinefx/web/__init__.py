"""The web front end: server-rendered pages and the ``/api/v1`` JSON API over the core.

>>> from spinefx.web import Settings, create_app
>>> app = create_app(Settings(data_dir="/tmp/spinefx-example"))
>>> app.title
'spinefx'
"""

from spinefx.web.app import create_app
from spinefx.web.settings import Settings

__all__ = ["Settings", "create_app"]
