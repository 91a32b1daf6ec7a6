"""The files the notebooks read: loading and checking them (files), the committed cat, pet
stand-in and results tables (standin, tables), and the real terrier's download (fetch).

May import only `mllab.errors`.
"""
