"""Who may call each route (the authorization matrix's table), and what each role must
never see. tests/security/test_matrix.py calls every route as every role against it."""

from __future__ import annotations

from tests.security import world as w

PUBLIC = frozenset(w.ROLES)
SIGNED_IN = PUBLIC - {"anonymous", "bad_token"}
ADMIN = frozenset({"admin"})
MANAGERS = ADMIN | {"owner"}  # the project's owner, and admins
READERS = MANAGERS | {"reviewer"}  # and the project's reviewers
CREATORS = MANAGERS | {"other_requester"}  # requesters and admins
CONSOLE = CREATORS | {"reviewer"}
WORKERS = frozenset({"member", "member_b", "outsider"})
MEMBERS = frozenset({"member", "member_b"})  # workers invited to the members-only project
LEASE = frozenset({"member"})  # the worker who holds the assignment in the path
UPLOAD = MANAGERS | {"member_b"}  # the uploading worker, the project's owner, admins

# route (method, path template) -> who may call it. Run in this order, each route by every
# role in ROLE_ORDER (refused roles first, while the resource is there); the routes that
# end a session or forget a user come last.
MATRIX: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/v1/health"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("GET", "/api/v1/me/tokens"): SIGNED_IN,
    ("DELETE", "/api/v1/me/tokens/{token_id}"): MANAGERS,  # the owner's token; admins any
    ("GET", "/api/v1/users"): ADMIN,
    ("POST", "/api/v1/users"): ADMIN,
    ("PATCH", "/api/v1/users/{user_id}"): ADMIN,
    ("POST", "/api/v1/users/{user_id}/tokens"): ADMIN,
    ("POST", "/api/v1/projects"): CREATORS,
    ("GET", "/api/v1/projects"): SIGNED_IN,
    ("GET", "/api/v1/projects/{project_id}"): READERS | MEMBERS,
    ("PATCH", "/api/v1/projects/{project_id}"): MANAGERS,
    ("GET", "/api/v1/projects/{project_id}/stats"): READERS,
    ("GET", "/api/v1/projects/{project_id}/progress"): READERS,
    ("PUT", "/api/v1/projects/{project_id}/members/{user_id}"): MANAGERS,
    ("POST", "/api/v1/projects/{project_id}/tasks"): MANAGERS,
    ("GET", "/api/v1/projects/{project_id}/tasks"): READERS,
    ("GET", "/api/v1/projects/{project_id}/tasks/{task_id}"): READERS,
    ("GET", "/api/v1/projects/{project_id}/batches"): READERS,
    ("POST", "/api/v1/projects/{project_id}/next"): MEMBERS,
    ("GET", "/api/v1/assignments"): WORKERS,  # their own only
    ("GET", "/api/v1/assignments/{assignment_id}"): LEASE,
    ("POST", "/api/v1/assignments/{assignment_id}/files"): LEASE,
    ("POST", "/api/v1/assignments/{assignment_id}/submit"): LEASE,
    ("POST", "/api/v1/assignments/{assignment_id}/skip"): LEASE,
    ("POST", "/api/v1/assignments/{assignment_id}/release"): LEASE,
    ("GET", "/api/v1/projects/{project_id}/results"): READERS,
    ("GET", "/api/v1/projects/{project_id}/tasks/{task_id}/answers"): READERS,
    ("POST", "/api/v1/projects/{project_id}/import"): MANAGERS,
    ("GET", "/api/v1/projects/{project_id}/export"): READERS,
    ("GET", "/api/v1/projects/{project_id}/workers"): READERS,
    ("GET", "/api/v1/projects/{project_id}/quality/events"): READERS,
    ("POST", "/api/v1/projects/{project_id}/quality/events/{event_id}/revert"): MANAGERS,
    ("POST", "/api/v1/projects/{project_id}/quality/refit"): MANAGERS,
    ("GET", "/api/v1/me/quality"): WORKERS,
    ("GET", "/api/v1/projects/{project_id}/agreement"): READERS,
    ("GET", "/api/v1/projects/{project_id}/review"): READERS,
    ("POST", "/api/v1/assignments/{assignment_id}/review"): READERS,
    ("GET", "/api/v1/projects/{project_id}/ai"): MANAGERS,
    ("PUT", "/api/v1/projects/{project_id}/ai"): MANAGERS,
    ("GET", "/api/v1/projects/{project_id}/ai/status"): MANAGERS,
    ("POST", "/api/v1/projects/{project_id}/ai/train"): MANAGERS,
    ("GET", "/api/v1/uploads/{upload_id}"): UPLOAD,
    ("GET", "/api/v1/uploads/{upload_id}/content"): UPLOAD,
    ("POST", "/api/v1/projects/{project_id}/assign"): MANAGERS,
    ("GET", "/api/v1/projects/{project_id}/allocation"): MANAGERS,
    ("GET", "/api/v1/projects/{project_id}/tasks/{task_id}/difficulty"): READERS,
    ("GET", "/api/v1/admin/jobs"): ADMIN,
    ("POST", "/api/v1/admin/jobs/{job_id}/retry"): ADMIN,
    ("GET", "/api/v1/admin/events/handlings"): ADMIN,
    ("POST", "/api/v1/admin/events/handlings/{handling_id}/retry"): ADMIN,
    ("GET", "/api/v1/admin/audit"): ADMIN,
    ("GET", "/api/v1/projects/{project_id}/webhooks"): MANAGERS,
    ("POST", "/api/v1/projects/{project_id}/webhooks"): MANAGERS,
    ("GET", "/api/v1/projects/{project_id}/webhooks/{webhook_id}"): MANAGERS,
    ("PATCH", "/api/v1/projects/{project_id}/webhooks/{webhook_id}"): MANAGERS,
    ("POST", "/api/v1/projects/{project_id}/webhooks/{webhook_id}/rotate-secret"): MANAGERS,
    ("GET", "/api/v1/projects/{project_id}/webhooks/{webhook_id}/deliveries"): MANAGERS,
    ("POST", "/api/v1/projects/{project_id}/webhooks/deliveries/{delivery_id}/redeliver"): (
        MANAGERS
    ),
    ("POST", "/api/v1/projects/{project_id}/webhooks/{webhook_id}/test"): MANAGERS,
    # the web UI
    ("MOUNT", "/static"): PUBLIC,
    ("GET", "/"): SIGNED_IN,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("GET", "/work"): WORKERS,
    ("GET", "/work/projects/{project_id}"): MEMBERS,
    ("GET", "/work/projects/{project_id}/instructions"): MEMBERS,
    ("POST", "/work/assignments/{assignment_id}/submit"): LEASE,
    ("POST", "/work/assignments/{assignment_id}/skip"): LEASE,
    ("POST", "/work/assignments/{assignment_id}/release"): LEASE,
    ("GET", "/console"): CONSOLE,
    ("GET", "/console/projects/new"): CREATORS,
    ("POST", "/console/projects/new"): CREATORS,
    ("POST", "/console/preview"): SIGNED_IN,  # renders the posted markdown, reads nothing
    ("GET", "/console/projects/{project_id}"): READERS,
    ("GET", "/console/projects/{project_id}/results"): READERS,
    ("GET", "/console/projects/{project_id}/tasks/{task_id}"): READERS,
    ("GET", "/console/projects/{project_id}/export"): READERS,
    ("GET", "/console/projects/{project_id}/import"): MANAGERS,
    ("POST", "/console/projects/{project_id}/import"): MANAGERS,
    ("GET", "/console/projects/{project_id}/events"): READERS,
    ("GET", "/console/projects/{project_id}/workers"): READERS,
    ("POST", "/console/projects/{project_id}/workers/block"): MANAGERS,
    ("POST", "/console/projects/{project_id}/workers/{worker_id}/unblock"): MANAGERS,
    ("POST", "/console/projects/{project_id}/events/{event_id}/revert"): MANAGERS,
    ("GET", "/files/{upload_id}"): UPLOAD,
    ("GET", "/console/projects/{project_id}/settings"): MANAGERS,
    ("POST", "/console/projects/{project_id}/settings"): MANAGERS,
    ("GET", "/console/projects/{project_id}/ai"): MANAGERS,
    ("POST", "/console/projects/{project_id}/ai"): MANAGERS,
    ("POST", "/console/projects/{project_id}/ai/train"): MANAGERS,
    ("GET", "/console/projects/{project_id}/allocation"): MANAGERS,
    ("POST", "/console/projects/{project_id}/allocation/assign"): MANAGERS,
    ("GET", "/console/projects/{project_id}/webhooks"): MANAGERS,
    ("POST", "/console/projects/{project_id}/webhooks"): MANAGERS,
    ("GET", "/console/projects/{project_id}/webhooks/{webhook_id}"): MANAGERS,
    ("POST", "/console/projects/{project_id}/webhooks/{webhook_id}/rotate"): MANAGERS,
    ("POST", "/console/projects/{project_id}/webhooks/{webhook_id}/active"): MANAGERS,
    ("POST", "/console/projects/{project_id}/webhooks/{webhook_id}/test"): MANAGERS,
    ("POST", "/console/projects/{project_id}/webhooks/deliveries/{delivery_id}/redeliver"): (
        MANAGERS
    ),
    ("POST", "/console/projects/{project_id}/webhooks/{webhook_id}/delete"): MANAGERS,
    ("DELETE", "/api/v1/projects/{project_id}/webhooks/{webhook_id}"): MANAGERS,
    ("GET", "/account/tokens"): SIGNED_IN,
    ("POST", "/account/tokens"): SIGNED_IN,
    ("POST", "/account/tokens/{token_id}/revoke"): MANAGERS,  # the owner's token; admins any
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("POST", "/admin/users/{user_id}"): ADMIN,
    ("GET", "/admin/users/{user_id}/tokens"): ADMIN,
    ("GET", "/admin/jobs"): ADMIN,
    ("POST", "/admin/jobs/{job_id}/retry"): ADMIN,
    ("POST", "/admin/events/{handling_id}/retry"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
    ("GET", "/admin/users/{user_id}/forget"): ADMIN,
    ("POST", "/admin/users/{user_id}/forget"): ADMIN,
    ("POST", "/api/v1/users/{user_id}/forget"): ADMIN,
    ("POST", "/logout"): SIGNED_IN,
}

ROLE_ORDER = (
    "anonymous",
    "bad_token",
    "outsider",
    "other_requester",
    "member_b",
    "reviewer",
    "member",
    "owner",
    "admin",
)
DENIED = {401, 403, 404}
# Routes whose target may be missing for a role that may call them (404 is then an answer
# about the input): ids of things the world has none of, and deletes done by the role
# before.
MAY_BE_GONE = {
    ("POST", "/api/v1/projects/{project_id}/quality/events/{event_id}/revert"),
    ("POST", "/console/projects/{project_id}/events/{event_id}/revert"),
    ("POST", "/api/v1/admin/jobs/{job_id}/retry"),
    ("POST", "/admin/jobs/{job_id}/retry"),
    ("POST", "/api/v1/admin/events/handlings/{handling_id}/retry"),
    ("POST", "/admin/events/{handling_id}/retry"),
    ("POST", "/api/v1/projects/{project_id}/webhooks/deliveries/{delivery_id}/redeliver"),
    ("POST", "/console/projects/{project_id}/webhooks/deliveries/{delivery_id}/redeliver"),
    ("POST", "/console/projects/{project_id}/webhooks/{webhook_id}/delete"),
    ("DELETE", "/api/v1/projects/{project_id}/webhooks/{webhook_id}"),
}
# What each role must never see in any answer.
HIDDEN = {
    "anonymous": {w.GOLD, w.EXPLANATION, w.ANSWER_A, w.ANSWER_B, w.TASK_DATA, w.OTHER_PROJECT},
    "bad_token": {w.GOLD, w.EXPLANATION, w.ANSWER_A, w.ANSWER_B, w.TASK_DATA, w.OTHER_PROJECT},
    "member": {w.GOLD, w.EXPLANATION, w.ANSWER_B, w.OTHER_PROJECT},
    "member_b": {w.GOLD, w.EXPLANATION, w.ANSWER_A, w.OTHER_PROJECT},
    "outsider": {w.GOLD, w.EXPLANATION, w.ANSWER_A, w.ANSWER_B, w.TASK_DATA, w.OTHER_PROJECT},
    "other_requester": {w.GOLD, w.EXPLANATION, w.ANSWER_A, w.ANSWER_B, w.TASK_DATA},
    "reviewer": {w.OTHER_PROJECT},
    "owner": {w.OTHER_PROJECT},
    "admin": set(),
}
