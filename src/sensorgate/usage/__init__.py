"""Usage of credentials: per-minute and per-day counters, written in batches off the request path."""
