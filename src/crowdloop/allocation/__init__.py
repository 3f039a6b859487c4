"""Allocation in the live platform: value-ordered pulls, push assignment, status."""
