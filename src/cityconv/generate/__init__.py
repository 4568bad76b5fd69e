"""generate layer of cityconv (see docs/architecture.md)."""
