"""core layer of cityconv (see docs/architecture.md)."""
