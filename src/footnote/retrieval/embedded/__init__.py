"""The embedded backend: BM25 arrays and a SQLite passage store on disk."""
