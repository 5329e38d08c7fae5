"""Flask blueprints, one package per area of the site."""
