"""pipeline layer of cityconv (see docs/architecture.md)."""
