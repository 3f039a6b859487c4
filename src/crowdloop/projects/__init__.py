"""Projects, their answer schemas, task batches and tasks."""
