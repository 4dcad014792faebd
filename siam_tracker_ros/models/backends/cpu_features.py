"""CPU features read at run time (never assumed): native bf16 and AMX."""
from __future__ import annotations

from functools import lru_cache
from typing import FrozenSet


@lru_cache(maxsize=1)
def cpu_flags() -> FrozenSet[str]:
    """The CPU flags of /proc/cpuinfo (Linux); empty elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_has_bf16() -> bool:
    """AVX-512 bf16 instructions or AMX bf16 tiles."""
    flags = cpu_flags()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def cpu_has_amx() -> bool:
    return "amx_tile" in cpu_flags()
