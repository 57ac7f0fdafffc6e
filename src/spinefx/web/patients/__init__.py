"""The patients' pages: the home page, the self-check, Learn and Find a specialist.

Self-check answers are sent with POST (``/check``); answers that can be assessed are
redirected (303) to ``/check/result`` with the answers in its query string, so that Back and
reload show the result again with nothing kept on the server and no cookie. The price: the
answers are in that address, so in the browser's history (docs/privacy.md says so and why);
the access log drops every query string. The specialist search is a GET (nothing in it is
personal beyond a ZIP code). Nothing is stored and no cookie is set. One route module per
page: :mod:`.home`, :mod:`.check`, :mod:`.learn`, :mod:`.find`.
"""
