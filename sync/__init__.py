"""Sync: the change log, remote adapters (hosted API, hub, bundle file) and conflict rules.

Depends on `university_local` storage and the HTTP client, never the other way round.
"""
