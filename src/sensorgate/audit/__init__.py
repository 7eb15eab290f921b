"""The audit trail of credentials: created, edited, reissued, renewed, revoked, deleted, tokens issued and revoked,
secrets purged. Written in the transaction of the change it records.

A key's log as readers see it (GET /v1/keys/{id}/log) interleaves these events with the key's use per minute;
that is usage/key_log.py, which sits above both.
"""
