"""SCORM 1.2 / 2004: package import, manifest, CMI data model, JS runtime and player.

Mounted by `university_local`; knows nothing of the server beyond the small storage interface
it is handed (see DESIGN.md). The engine arrives with the SCORM issue.
"""
