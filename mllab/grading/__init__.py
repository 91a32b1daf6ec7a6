"""Helpers the hidden tests use: safe conversion of results, library-call tracing, scoring.

May import nothing else of mllab: it runs inside students' kernels, under the hidden tests.
"""
