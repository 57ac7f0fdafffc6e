"""The clinician tools' pages: Genant grading, kyphoplasty candidacy and the osteoporosis
follow-up plan, each a plain form over its rule's input model and the result beside it.

Answers are sent with POST and kept nowhere; a result can be carried to the next tool
(:data:`~spinefx.web.clinician.tool_forms.PREFILL`) or saved to a registry case (after a
login). One route module per tool: :mod:`.home`, :mod:`.grading`, :mod:`.candidacy`,
:mod:`.followup`; their words are in :mod:`.words`, the form handling they share in
:mod:`.tool_forms`.
"""
