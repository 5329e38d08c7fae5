"""Admin commands for the `flask` CLI."""
