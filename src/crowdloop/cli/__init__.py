"""The ``crowdloop`` command line: a thin Typer adapter over the services."""
