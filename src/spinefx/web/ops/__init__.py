"""What an operator's tools call: the health checks (:mod:`.health`) and the Prometheus
metrics (:mod:`.metrics`)."""
