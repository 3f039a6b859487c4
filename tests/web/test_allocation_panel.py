"""The allocation tab: open tasks, eligible workers, problems as warnings, and push
assignment (plan = dry run, assign now); the service's refusals are messages."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crowdloop.accounts.models import Role
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.work.models import Assignment
from tests.web.conftest import Browser

Make = Callable[..., Browser]
MakeProject = Callable[..., Project]
NO_CONTROLS = {"control_rate": 0}


def _leases(db: Database, project: Project) -> int:
    with unit_of_work(db, write=False) as session:
        return session.query(Assignment).filter_by(project_id=project.id).count()


def _path(project: Project, tail: str = "") -> str:
    return f"/console/projects/{project.id}/allocation{tail}"


class TestStatus:
    def test_owner_sees_counts(self, make_browser: Make, project_of: MakeProject) -> None:
        owner = make_browser(Role.requester)
        make_browser()
        make_browser()
        project = project_of(owner.user, n_tasks=4, quality=NO_CONTROLS)
        page = owner.get(_path(project))
        assert page.status_code == 200
        assert 'id="open-tasks">4<' in page.text
        assert 'id="eligible-workers">2<' in page.text
        assert 'id="problems"' not in page.text
        assert f'href="{_path(project)}" aria-current="page"' in page.text

    def test_a_skill_nobody_has_is_a_visible_problem(
        self, make_browser: Make, project_of: MakeProject
    ) -> None:
        owner = make_browser(Role.requester)
        make_browser()
        medical = {"required_skills": ["medical"]}
        project = project_of(owner.user, n_tasks=1, tasks=[medical], quality=NO_CONTROLS)
        page = owner.get(_path(project)).text
        assert 'id="unmet">1<' in page
        problems = page.split('id="problems"', 1)[1].split("</div>", 1)[0]
        assert "constraints no worker meets" in problems
        assert "medical" in problems

    def test_no_worker_is_a_problem(self, make_browser: Make, project_of: MakeProject) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, quality=NO_CONTROLS)
        page = owner.get(_path(project)).text
        assert "no active worker is allowed" in page.split('id="problems"', 1)[1]

    def test_others_get_404_reviewers_403(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, quality=NO_CONTROLS)
        reviewer = make_browser(Role.reviewer)
        with unit_of_work(db) as session:
            found = session.get(Project, project.id)
            assert found is not None
            projects.add_member(session, found, session.merge(reviewer.user))
        assert make_browser(Role.requester).get(_path(project)).status_code == 404
        assert make_browser().get(_path(project)).status_code == 404
        assert reviewer.get(_path(project)).status_code == 403
        form = {"capacity": "1", "action": "assign"}
        assert reviewer.post(_path(project, "/assign"), form).status_code == 403
        assert make_browser(Role.admin).get(_path(project)).status_code == 200
        assert _leases(db, project) == 0


class TestPush:
    def test_plan_shows_leases_per_worker_and_leases_nothing(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        workers = [make_browser(), make_browser()]
        project = project_of(owner.user, n_tasks=6, overlap=1, quality=NO_CONTROLS)
        form = {"capacity": "2", "action": "plan"}
        response = owner.post(_path(project, "/assign"), form)
        assert response.status_code == 200
        table = response.text.split('id="plan-table"', 1)[1].split("</table>", 1)[0]
        for w in workers:
            assert f"<td>{w.user.username}</td><td>2</td>" in table
        assert "4 leases for 2 of 2 available workers" in response.text
        assert _leases(db, project) == 0

    def test_assign_now_creates_leases(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        make_browser()
        make_browser()
        project = project_of(owner.user, n_tasks=6, overlap=1, quality=NO_CONTROLS)
        response = owner.post(_path(project, "/assign"), {"capacity": "3", "action": "assign"})
        assert response.status_code == 303
        assert _leases(db, project) == 6
        page = owner.get(response.headers["location"]).text
        assert "Assigned: 6 new leases" in page.split('id="assigned"', 1)[1]
        assert 'id="open-tasks">0<' in page

    @pytest.mark.parametrize(("capacity", "message"), [("0", "greater than"), ("x", "integer")])
    def test_bad_capacity_is_shown_at_the_field(
        self,
        make_browser: Make,
        project_of: MakeProject,
        db: Database,
        capacity: str,
        message: str,
    ) -> None:
        owner = make_browser(Role.requester)
        make_browser()
        project = project_of(owner.user, quality=NO_CONTROLS)
        response = owner.post(_path(project, "/assign"), {"capacity": capacity, "action": "assign"})
        assert response.status_code == 422
        assert message in response.text.split('id="capacity-error">', 1)[1].split("</p>", 1)[0]
        assert f'id="capacity" name="capacity" inputmode="numeric" value="{capacity}"' in (
            response.text
        )
        assert _leases(db, project) == 0

    def test_too_large_capacity(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        make_browser()
        project = project_of(owner.user, quality=NO_CONTROLS)
        response = owner.post(_path(project, "/assign"), {"capacity": "999", "action": "plan"})
        assert response.status_code == 422
        assert "less than or equal to" in response.text.split('id="capacity-error">', 1)[1]
        assert _leases(db, project) == 0

    def test_no_open_tasks_is_a_message(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        make_browser()
        project = project_of(owner.user, n_tasks=0, quality=NO_CONTROLS)
        response = owner.post(_path(project, "/assign"), {"capacity": "1", "action": "assign"})
        assert response.status_code == 409
        assert "no open tasks to assign" in response.text.split('id="form-error"', 1)[1]
        assert _leases(db, project) == 0

    def test_no_worker_is_a_message(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, quality=NO_CONTROLS)
        response = owner.post(_path(project, "/assign"), {"capacity": "1", "action": "plan"})
        assert response.status_code == 409
        assert "no worker is available" in response.text.split('id="form-error"', 1)[1]
        assert _leases(db, project) == 0
