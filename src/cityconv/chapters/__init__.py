"""chapters layer of cityconv (see docs/architecture.md)."""
