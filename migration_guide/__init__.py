"""The migration guide: Markdown for people, with its tables and examples generated from code.

``README.md`` is the guide. Its tables live in ``tables/`` and its code samples in
``examples/``; ``python -m migration_guide.generate`` rebuilds both from the code (the operation
table, the error registry, the mapping constants, the client-face parity table) so the guide
cannot drift from what the shim does, and the test suite checks that it has not.
"""
