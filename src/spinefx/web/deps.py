"""Request dependencies, as ``Annotated`` aliases so route signatures read plainly."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.templating import Jinja2Templates

from spinefx.web.settings import Settings

__all__ = ["SettingsDep", "TemplatesDep", "get_settings", "get_templates"]


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


SettingsDep = Annotated[Settings, Depends(get_settings)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
