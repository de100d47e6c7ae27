"""Scale-out engines for runs that outgrow one process (docs/scale.md)."""
