"""The specialist directory: NPPES providers near a ZIP code, with Medicare procedure volume.

Modules: :mod:`~spinefx.directory.nppes` (ingest of the main file),
:mod:`~spinefx.directory.utilization` (Medicare volume), :mod:`~spinefx.directory.locations`
(secondary practice locations), :mod:`~spinefx.directory.taxonomy` (our specialties),
:mod:`~spinefx.directory.geo` (ZIP centroids and distances), :mod:`~spinefx.directory.store`
(the DuckDB file), :mod:`~spinefx.directory.search` (the queries) and
:mod:`~spinefx.directory.demo` (a synthetic sample in the real file formats).
"""
