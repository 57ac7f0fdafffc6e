"""The registry's pages, for the clinic's staff: log in, the worklist, a case and the rows under
it, KPIs, the audit log, users, and saving a clinician tool's result to a case.

Every page needs a login (:data:`~spinefx.web.deps.LoginDep`; without one a GET goes to the
login page) and every form that writes carries the session's CSRF token
(:data:`~spinefx.web.deps.FormLoginDep`). Roles and sites are enforced by the data layer
(:mod:`spinefx.registry.permissions`): another site's case is 404 exactly like a missing one, a
right the role lacks is 403, and the pages only hide the forms a role cannot use.

Route modules, one per resource: :mod:`.login`, :mod:`.worklist`, :mod:`.cases`, :mod:`.rows`,
:mod:`.kpi`, :mod:`.audit`, :mod:`.users`, :mod:`.save`. What they share, owned by none of them:
:mod:`.pages` (rendering, the login page, form numbers), :mod:`.forms` (the row forms and the
words), :mod:`.timeline` (a case as its page shows it), :mod:`.saving`.
"""
