"""The instructors' Textual terminal UI; it talks to the server only through the HTTP API."""
