"""FHIR R4 in and out.

- profile.py: every identifier system, code system and extension URL (docs/fhir-profile.md is the
  same list for people who produce files);
- sources.py, parsing.py: files → units of work, validation with fhir.resources (R4B models);
- handlers.py, registry.py: resources ↔ models; other apps register their own handlers
  (proxies registers RelatedPerson);
- importer.py, writing.py, runindex.py, parallel.py: the import engine;
- exporter.py: resources from models, and the "Download my data" Bundle.
"""
