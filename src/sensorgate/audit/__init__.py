"""The audit trail of credentials, as the per-key log reads it."""
