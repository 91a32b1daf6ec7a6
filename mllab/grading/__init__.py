"""Helpers the hidden tests use: safe conversion of results, library-call tracing, scoring."""
