"""Per-request work of moto's server that gives the same answer every time, done once (no behaviour changes).

Profiled on a no-change plan of the benchmark's IAM stack, two thirds of a request's CPU in the emulator went to
moto finding its own code, not to answering:

- ``moto.backends.list_of_moto_modules`` lists moto's package folder (~180 ``isdir`` calls) twice per request, to
  tell a host such as ``iam`` from a URL; the folder does not change while the server runs.
- ``method_names_from_class`` runs ``inspect.getmembers`` over a response class on every request, to see whether
  the action is one of its methods; kept per class and per the number of attributes along its MRO, so a method
  an extension adds later is still seen.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    import moto.backends
    import moto.core.responses
    from moto.core.utils import method_names_from_class

    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = functools.cache(lambda: modules)  # type: ignore[assignment]

    names: dict[tuple[type, int], list[str]] = {}
    lock = threading.Lock()

    def cached_names(clazz: Any) -> list[str]:
        key = (clazz, sum(len(vars(c)) for c in clazz.__mro__))
        with lock:
            found = names.get(key)
        if found is None:
            found = method_names_from_class(clazz)
            with lock:
                names[key] = found
        return list(found)

    moto.core.responses.method_names_from_class = cached_names  # type: ignore[attr-defined]
