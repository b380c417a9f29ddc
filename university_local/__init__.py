"""University Local: an offline-first classroom server for the University API."""

__version__ = "0.1.0"
