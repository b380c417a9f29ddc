"""Organisations (apps), their API keys, and who is calling: the tenant partition."""
