"""Case-finding: vertebral fractures written in radiology reports that nobody acted on.

Reports are read as Arrow batches (:mod:`~spinefx.casefind.reports`), each report's text goes
through the pipeline (:mod:`~spinefx.casefind.pipeline`: spaCy sentences, medspaCy's target
rules and ConText over the reviewed tables of :mod:`~spinefx.casefind.rules`; the levels by
:mod:`~spinefx.casefind.levels`) on every core (:mod:`~spinefx.casefind.engine`) or on Apache
Spark (:mod:`~spinefx.casefind.spark`), one :mod:`~spinefx.casefind.record` per report; the
found ones can go onto the registry's worklist (:mod:`~spinefx.casefind.registry`), and
:mod:`~spinefx.casefind.evaluate` scores the pipeline against labelled reports.
"""
