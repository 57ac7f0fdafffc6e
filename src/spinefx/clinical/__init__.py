"""Pure clinical rules: no I/O, no framework. Each rule is a function over a frozen, validated
pydantic input returning a result that lists every criterion (met / not met / unknown) with its
source.

- :mod:`spinefx.clinical.screening`: the patient self-check, red flags first
- :mod:`spinefx.clinical.morphometry`: vertebral heights -> Genant grade, SDI
- :mod:`spinefx.clinical.candidacy`: balloon kyphoplasty coverage criteria and codes
- :mod:`spinefx.clinical.followup`: the osteoporosis plan after a fragility fracture
"""
