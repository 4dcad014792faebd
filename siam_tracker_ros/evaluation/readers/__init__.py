"""One reader per dataset layout; each ``load_*(root) -> list[Sequence]`` (see ../sequences.py)."""
