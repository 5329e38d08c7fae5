"""The JSON API under /api/v1, declared with flask-smorest (OpenAPI at /api/openapi.json)."""
