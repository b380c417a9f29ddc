"""Shared plumbing: storage, ids, errors, the JSON:API envelope, routing and limits.

Everything a feature needs from the HTTP and storage layers lives here, once.
"""
