"""Assignments: pull the next task, lease it, submit, skip, release, expire."""
