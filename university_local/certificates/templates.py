"""Certificate templates: untrusted HTML with `{{variable}}` placeholders.

A template is checked when it is saved, not when a certificate is printed: its HTML is cut down
to the tags the PDF renderer supports (anything else, scripts and event handlers included, is
removed), and every placeholder must name a known variable; an unknown one is refused (422)
instead of printing blank. Values are HTML-escaped as they are put in, so a learner named
`<b>Bob</b>` is printed as exactly that.

Variables: the standard ones below, plus custom ones listed in the template's `variables`, which
must then be given in the issue request's `custom_fields`.
"""

from __future__ import annotations

import html
import re
from typing import Any

import nh3

from university_local.core.errors import ApiError

STANDARD_VARIABLES = {
    "student_name": "The learner's display name",
    "course_name": "The course's (or learning path's) title",
    "completion_date": "The date the course was completed, e.g. 20 March 2025",
    "instructor_name": "The course instructor's display name",
    "certificate_number": "The certificate number, e.g. CERT-2025-K3M9QX-0001234",
    "issued_at": "The issue date, e.g. 20 March 2025",
    "organisation_name": "The issuing organisation",
}
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}")
ANY_BRACES = re.compile(r"\{\{(.*?)\}\}", re.S)
# What fpdf2's HTML renderer draws; everything else would be ignored or misdrawn.
TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "b", "strong", "i", "em", "u", "s", "del", "font",
        "center", "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub"}
ATTRIBUTES = {"p": {"align"}, "font": {"color", "size", "face"}, "table": {"width", "border"},
              "td": {"align", "colspan", "width", "bgcolor"}, "th": {"align", "colspan", "width", "bgcolor"}}

DEFAULT_TEMPLATE = """<center><font size="30"><b>Certificate of Completion</b></font></center>
<center><font size="14">This certifies that</font></center>
<center><font size="26"><b>{{student_name}}</b></font></center>
<center><font size="14">has completed</font></center>
<center><font size="20"><b>{{course_name}}</b></font></center>
<center><font size="12">on {{completion_date}}, issued by {{organisation_name}}</font></center>"""
DEFAULT_VARIABLES = ["student_name", "course_name", "completion_date", "organisation_name"]


def clean_template(markup: str, variables: list[str], *, pointer: str) -> str:
    """The template as it will be stored: sanitised, with every placeholder known."""
    for name in variables:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", name):
            raise ApiError(422, "validation_error", f"'{name}' is not a variable name (letters, digits, _).",
                           pointer=f"{pointer}/variables")
    for match in ANY_BRACES.finditer(markup):
        found = PLACEHOLDER.fullmatch(match.group(0))
        if found is None:
            raise ApiError(422, "invalid_placeholder", f"'{match.group(0)[:80]}' is not a placeholder; write "
                           "{{variable_name}}.", pointer=f"{pointer}/html_template")
        name = found.group(1)
        if name not in STANDARD_VARIABLES and name not in variables:
            raise ApiError(422, "unknown_variable", f"The template uses '{{{{{name}}}}}', which is neither a "
                           f"standard variable ({', '.join(sorted(STANDARD_VARIABLES))}) nor listed in "
                           "variables.", pointer=f"{pointer}/html_template")
    cleaned = nh3.clean(markup, tags=TAGS, attributes=ATTRIBUTES, url_schemes=set(), strip_comments=True)
    if "{{" in "".join(re.findall(r"<[^>]*>", cleaned)):
        raise ApiError(422, "invalid_placeholder", "Placeholders may stand only in text, not inside tags.",
                       pointer=f"{pointer}/html_template")
    return cleaned


def custom_variables(variables: list[str]) -> list[str]:
    """Variables the issuer must give in `custom_fields`."""
    return [name for name in variables if name not in STANDARD_VARIABLES]


def fill(markup: str, values: dict[str, Any]) -> str:
    """Put escaped values into a cleaned template."""
    return PLACEHOLDER.sub(lambda m: html.escape(_text(values.get(m.group(1), ""))), markup)


def _text(value: Any) -> str:
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    return "" if value is None else str(value)
