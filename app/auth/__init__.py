"""Access: API keys with scopes, checked on every request."""
