"""The Discord front end of Footnote; it holds no retrieval logic, only the engine's answers."""
