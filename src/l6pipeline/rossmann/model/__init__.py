"""The Rossmann entity-embedding model: processors, split, network, metrics (no Kedro here)."""
