"""The rate limiter: Flask-Limiter, with its in-memory fallback taken by every request that
meets a failing storage, not only the first.

Flask-Limiter 4 switches to its fallback when a check fails on the storage (Redis) and the
fallback is not yet in use; a request whose check was already waiting on Redis when the first
one switched raises the storage's error instead (a 500: issue 12.2). Here such a request is
checked again, against the fallback the first one switched to.
"""
from flask_limiter import Limiter, RateLimitExceeded


class FallbackLimiter(Limiter):
    """A Limiter whose every request falls back to in-memory counting while the storage is
    down (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED), instead of failing."""

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        try:
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)
        except RateLimitExceeded:
            raise
        except Exception:
            # The storage failed, and another request has already switched to the fallback
            # (otherwise Flask-Limiter itself would have switched, and not raised).
            if not (self._in_memory_fallback_enabled and self._storage_dead):
                raise
            self.logger.warning("Rate limit storage failed under a request; checked in memory instead")
            self.context.seen_limits.clear()
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)
