"""data layer of cityconv (see docs/architecture.md)."""
