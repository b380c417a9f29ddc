"""SCORM 1.2 / 2004: package import, manifest, CMI data model, JS runtime and player.

Knows nothing of the server: it works on paths, bytes and plain data. `university_local.scorm`
mounts it, storing packages and learners' CMI state and turning SCORM results into lesson
progress.

- `zipcheck`, `packages`: a zip is checked whole (traversal, links, bombs) before a byte is
  unpacked, then installed with one rename.
- `manifest`: `imsmanifest.xml` (1.2 and 2004 2nd-4th editions) to a plain description.
- `offline`: what a package loads from the internet, which breaks it at an air-gapped site.
- `cmi`: the data models, defined once; the browser adapter's rules are generated from them.
- `runtime`: applying commits, resume and the mapping of statuses and scores.
- `static/`: the browser adapter (`window.API`, `window.API_1484_11`) and the player page.
"""
