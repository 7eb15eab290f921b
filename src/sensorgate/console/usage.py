"""The console's usage page: an organization's keys over the last 30 or 90 days, as charts, with the plan they
count against and the top keys by requests and by refusals. The same keys as GET /v1/keys/usage shows the
viewer (reportable_keys), read by the usage history service; a key's page has the same charts for the key."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.params import QueryParameter
from litestar.response import Template

from sensorgate.auth.scopes import Scope
from sensorgate.console.key_views import KINDS
from sensorgate.console.usage_views import figures
from sensorgate.console.views import ConsoleUser, Org, page
from sensorgate.credentials.service import manages_keys, reportable_keys
from sensorgate.kit.errors import Forbidden
from sensorgate.kit.times import utcnow
from sensorgate.usage import history
from sensorgate.web.state import AppStateDep

Days = Annotated[str, QueryParameter(name="days", max_length=10)]


@get("/orgs/{org:str}/usage")
async def usage_page(
    request: Request[Any, Any, Any], org: Org, viewer: ConsoleUser, app_state: AppStateDep, days: Days = ""
) -> Template:
    membership = viewer.membership_named(org)
    if not manages_keys(membership.permissions):
        raise Forbidden("key usage needs integrations:write or access:manage")
    period = history.parse_days(days)
    visible = reportable_keys(viewer, Scope.USAGE_READ)
    await app_state.usage.flush_before_reading(app_state.db)  # what was just counted is on the chart
    found = await app_state.db.read(
        history.organization_history, visible, membership.organization_id, period, utcnow().date()
    )
    return page(
        request,
        "usage.html",
        "Usage",
        viewer,
        membership,
        current="Usage",
        usage=found,
        period=period,
        periods=history.PERIODS,
        figures=figures(found, one_key=False),
        sees_all=Scope.ACCESS_MANAGE in membership.permissions,
        kinds=KINDS,
    )


ROUTES = [usage_page]
