"""The patients' pages: the home page, the self-check, Learn and Find a specialist.

Patient answers are sent with POST (``/check``), so they never appear in a URL, a browser
history entry or an access log; the specialist search is a GET (nothing in it is personal beyond
a ZIP code, and the access log drops every query string anyway). Nothing is stored and no
cookie is set. One route module per page: :mod:`.home`, :mod:`.check`, :mod:`.learn`,
:mod:`.find`.
"""
