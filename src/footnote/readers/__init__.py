"""Readers of the formats a corpus holds, each turning one file's content into blocks."""
