"""OAuth2 client credentials: the token, revocation and introspection endpoints, JWT access tokens and their
signing keys."""
