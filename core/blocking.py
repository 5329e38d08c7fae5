"""Run CPU-heavy work (image decoding) without stalling a gevent worker's other requests."""
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def offload(function: Callable[..., T], *args) -> T:
    """Return `function(*args)`, run in gevent's native thread pool when gevent has patched
    threading (gunicorn's gevent workers), else called directly.

    Pillow releases the GIL while it decodes and encodes, so a worker thread keeps the
    worker's streams and other requests moving meanwhile. `function` must not need the app
    or request context. Exceptions propagate to the caller.
    """
    try:
        from gevent import get_hub, monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return function(*args)
    if not monkey.is_module_patched("threading"):
        return function(*args)
    return get_hub().threadpool.apply(function, args)
