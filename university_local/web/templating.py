"""Templates and languages of the learner pages: Jinja2 with autoescaping, gettext from Babel catalogues.

Every string a learner reads goes through gettext. The catalogues are the `.po` files under
`locale/`, compiled in memory when first needed, so the repository holds no build product. The
language is the learner's choice (a cookie set by the switch on every page), else the best match
of the browser's `Accept-Language`, else English.
"""

from __future__ import annotations

import io
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

HERE = Path(__file__).resolve().parent
LOCALE_DIR = HERE / "locale"
DEFAULT_LANGUAGE = "en"
# The languages a learner can choose, by their own name.
LANGUAGES = {"en": "English", "es": "Español"}


@cache
def translations(language: str) -> NullTranslations:
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


@cache
def environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    locale = Locale.parse(language)
    env.filters["percent"] = lambda value: format_percent(float(value) / 100, locale=locale)
    env.filters["number"] = lambda value: format_decimal(value, locale=locale)
    env.globals["LANGUAGES"] = LANGUAGES
    env.globals["language"] = language
    return env


def gettext(language: str, message: str, **values: Any) -> str:
    """A message for Python code (an error, a flash), in the learner's language."""
    text: str = translations(language).gettext(message)
    return text % values if values else text


def negotiate(chosen: str | None, accept_language: str | None) -> str:
    if chosen in LANGUAGES:
        return chosen
    wanted = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            wanted.append((quality, tag.strip()))
    preferred = [tag for _, tag in sorted(wanted, key=lambda pair: -pair[0])]
    try:
        found = Locale.negotiate(preferred, list(LANGUAGES), sep="-") if preferred else None
    except (ValueError, UnknownLocaleError):
        found = None
    return str(found) if found else DEFAULT_LANGUAGE


def render(language: str, template: str, **context: Any) -> str:
    return environment(language).get_template(template).render(**context)


def when(stamp: str | None, language: str, zone: ZoneInfo, *, with_time: bool = True) -> str:
    """An ISO timestamp in the learner's language and the organisation's time zone."""
    if not stamp:
        return ""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(zone)
    if with_time:
        return format_datetime(moment, "medium", tzinfo=zone, locale=language)
    return format_date(moment, "medium", locale=language)
