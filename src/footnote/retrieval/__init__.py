"""Retrieval backends behind one seam: the embedded index and OpenSearch."""
