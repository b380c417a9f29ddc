"""Typed HTTP client of the University API, used by the instructor TUI, sync and the tests.

It depends on httpx only, never on the server's packages.
"""

from client.api import Client
from client.core import API_PREFIX, Upload, resource_document
from client.errors import ApiError
from client.types import BulkEnrollment, Compound, Health, Resource, RosterImport

__all__ = ["API_PREFIX", "ApiError", "BulkEnrollment", "Client", "Compound", "Health", "Resource", "RosterImport",
           "Upload", "resource_document"]
