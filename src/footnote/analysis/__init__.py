"""Text analysis: terms, answer types, acronyms, phrases, related words, suggestions."""
