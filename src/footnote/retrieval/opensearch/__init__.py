"""The OpenSearch backend: a passage index on a cluster, for archives past one machine."""
