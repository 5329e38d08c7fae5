"""Full-text search of messages: the terms (terms.py) and the index in the database (index.py)."""
