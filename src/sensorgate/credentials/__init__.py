"""API credentials: keys, secrets, verification and scopes."""
