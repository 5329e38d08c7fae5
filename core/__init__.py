"""Building blocks shared by several blueprints: domain errors, database set-up, mail, time."""
