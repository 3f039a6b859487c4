"""Quality control in the platform: worker quality, control tasks, rules, re-inference."""
