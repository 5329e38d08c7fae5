"""Building blocks shared by several blueprints: domain errors and the error pages, the API base
and shared schemas, people's briefs, database set-up, mail, time; and hooks.py, which installs
the request and commit pipelines in order (the one core module that imports the areas, to
register their hooks)."""
