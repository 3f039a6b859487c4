"""The answer types a project can be created with from the CLI: names only, so that
``crowdloop project create --help`` lists them without importing the schemas (pydantic)."""

TASK_TYPES = ("single_choice", "multiple_choice", "rating", "text")
