"""The audit log: who did what security-relevant thing, and when.

Services record an entry with :func:`crowdloop.audit.service.record` inside the unit of
work of the action itself, so an entry exists exactly when the action was committed
(a failed sign-in commits its own entry). Admins read the log through the API
(``GET /api/v1/admin/audit``), the web page ``/admin/audit`` and ``crowdloop audit``.
Entries name users by id, never by name, e-mail or typed text: forgetting a user
(``crowdloop users forget``) leaves no personal data behind in the log.
"""
