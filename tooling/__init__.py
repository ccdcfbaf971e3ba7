"""Development tooling that runs from the repository (never imported by the application)."""
