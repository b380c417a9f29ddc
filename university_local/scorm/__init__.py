"""SCORM: packages imported as lessons (service, routes) and served as files; the runtime is beside them."""
