"""FHIR R4 in and out: the profile (profile.py), reading and validating with fhir.resources
(parsing.py, sources.py), the handlers that map resources to models (handlers.py, registry.py), the
import engine (importer.py) and the export (exporter.py). docs/fhir-profile.md is the profile for
people who produce files."""
