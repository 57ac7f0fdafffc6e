"""The fracture liaison registry: the patient's path as a shared record, on SQLite or PostgreSQL.

- the database: :mod:`~spinefx.registry.db` (the engine, ``init`` and its Alembic migrations in
  ``migrations/``), :mod:`~spinefx.registry.models` (the tables), :mod:`~spinefx.registry.vocab`
  (the closed vocabularies), :mod:`~spinefx.registry.schema` (the exchange format: a case as
  JSON, for import, export and the API);
- a case and the rows under it: :mod:`~spinefx.registry.cases` (create, read, change, accept or
  dismiss a case), :mod:`~spinefx.registry.rows` (fractures, FLS events, procedures, outcome
  scores: one table of kinds), :mod:`~spinefx.registry.editing` (the one editing context: right,
  version, refresh, audit), :mod:`~spinefx.registry.assessments` (a clinical tool's saved result);
- who may do what: :mod:`~spinefx.registry.permissions` (roles, rights, sites),
  :mod:`~spinefx.registry.users`, :mod:`~spinefx.registry.auth` (logins, sessions, API tokens),
  :mod:`~spinefx.registry.passwords` (argon2id), :mod:`~spinefx.registry.audit` (every read and
  write);
- what it is for: :mod:`~spinefx.registry.worklist` (each open case's next FLS event),
  :mod:`~spinefx.registry.kpi` (the IOF Capture the Fracture KPIs),
  :mod:`~spinefx.registry.findings` (case-finding hits onto the worklist),
  :mod:`~spinefx.registry.importer`, :mod:`~spinefx.registry.exporter`,
  :mod:`~spinefx.registry.seed` and :mod:`~spinefx.registry.reference` (the demo site and the
  reference patient's record).

Every function takes the acting :class:`~spinefx.registry.permissions.Actor` and runs in the
caller's transaction (:meth:`~spinefx.registry.db.Registry.transaction`).
"""
