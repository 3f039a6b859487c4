"""Files workers upload as answers (larger deliverables), stored in the database."""
