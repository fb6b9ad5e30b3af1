"""What every route of the portal is given: the settings, the catalogue and the templates, and how a page is
rendered with the navigation, the person signed in, notices and errors."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from access.web.security import csrf_token, current_user
from catalogue import Database
from catalogue.accounts import User
from preservation.config import Settings


@dataclass
class Portal:
    """What every route needs: the settings, the catalogue and the templates."""

    settings: Settings
    database: Database
    templates: Environment

    def page(
        self,
        request: Request,
        template: str,
        title: str,
        status: int = 200,
        *,
        user: User | None = None,
        errors: list[dict[str, str]] | None = None,
        **values: object,
    ) -> HTMLResponse:
        """Render a page with the navigation, the person signed in, flashed notices and errors."""
        user = user or current_user(request, self.database)
        links = [("/", "Search")]
        if user is not None:
            links += [("/basket", "Request basket"), ("/requests", "My requests")]
            if user.role in ("archivist", "administrator"):
                links.append(("/queue", "Requests to decide"))
        else:
            links += [("/login", "Sign in"), ("/register", "Create an account")]
        path = request.url.path
        navigation = [
            {"href": href, "text": text, "active": path == href or (href != "/" and path.startswith(href + "/"))}
            for href, text in links
        ]
        notice = request.session.pop("notice", "")
        errors = errors or [{"text": e} for e in [request.session.pop("error", "")] if e]
        html = self.templates.get_template(template).render(
            title=title,
            archive_name=self.settings.archive_name,
            navigation=navigation,
            user=user,
            csrf=csrf_token(request),
            cspNonce=request.state.nonce,
            notice=notice,
            errors=errors,
            **values,
        )
        return HTMLResponse(html, status)
