"""The routers: ``pages`` (HTML for people) and ``api`` (``/api/v1`` JSON for programs)."""
