"""`imsmanifest.xml` for SCORM 1.2 and 2004 (2nd, 3rd and 4th editions), read into the one JSON shape
the runtime and the player use.

The XML is parsed with defusedxml with DTDs forbidden outright: a manifest needs none, and a
DOCTYPE is how entity expansion ("billion laughs") and external entity attacks begin.

What is read, and from where:

- version: `metadata/schemaversion` ("1.2"; "CAM 1.3" = 2004 2nd edition; "2004 3rd Edition";
  "2004 4th Edition"); when it is missing or unknown, the namespaces decide (adlcp_rootv1p2 is
  1.2, adlcp_v1p3/imsss is 2004 with an unknown edition) and a warning says so;
- the default organization (`organizations/@default`, else the first one) and its item tree,
  flattened in document order with parent and depth; a package without organizations gets one
  item per launchable resource (with a warning);
- each item's resource (`identifierref`), its `scormtype`/`adlcp:scormType`, and its launch URL:
  `xml:base` of manifest, resources and resource, then `href`, then the item's `parameters`
  joined by the IMS/ADL rule (leading `?`/`&` dropped; a `#fragment` parameter only when the
  href has none; `&` when the href already has a query, `?` otherwise);
- SCORM 1.2 item extensions: `adlcp:masteryscore`, `adlcp:datafromlms`, `adlcp:maxtimeallowed`,
  `adlcp:timelimitaction`;
- SCORM 2004: `adlcp:dataFromLMS`, `adlcp:timeLimitAction`, `adlcp:completionThreshold` (the
  element's value in 2nd/3rd edition; `minProgressMeasure` when `completedByMeasure="true"` in
  4th), and from `imsss:sequencing` (the item's own, completed by the `sequencingCollection`
  entry its `IDRef` names): `limitConditions/@attemptAbsoluteDurationLimit` (max time allowed),
  the primary objective's `minNormalizedMeasure` when `satisfiedByMeasure="true"` (the scaled
  passing score; 1.0 when the measure is not given), the objective ids (primary first), and
  whether a `hiddenFromChoice` precondition rule may hide the item. `isvisible="false"` hides
  it too.

Element and attribute names are matched by local name, case-insensitively, so that manifests
with the usual small mistakes (`adlcp:scormtype` in a 2004 package) still import; namespaces
are used only where two standards share a name (`imsss:objectives` beside `adlseq:objectives`).
"""

from __future__ import annotations

import math
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from scorm_player.zipcheck import PackageError

_EDITIONS = {"cam 1.3": "2nd", "2004 2nd edition": "2nd", "2004 3rd edition": "3rd", "2004 4th edition": "4th"}
_EDITION_WORD = re.compile(r"\b(\d)(?:st|nd|rd|th)\b", re.IGNORECASE)
_TIME_LIMIT_ACTIONS = {"exit,message", "exit,no message", "continue,message", "continue,no message"}


@dataclass
class ParsedManifest:
    """The contract JSON (`data`), plus what the importer checks against the files."""

    data: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    external_urls: list[str] = field(default_factory=list)  # absolute URLs the manifest itself names
    launch_files: dict[str, str] = field(default_factory=dict)  # item identifier -> file path (unquoted)
    listed_files: list[str] = field(default_factory=list)  # every <file href> (unquoted, from the root)


def parse_manifest(xml: bytes | str) -> ParsedManifest:
    """Parse a manifest's bytes; PackageError says what is wrong when it cannot be used."""
    root = _parse_xml(xml)
    if _local(root.tag) != "manifest":
        raise PackageError(f"imsmanifest.xml is not an IMS manifest: its root element is <{_local(root.tag)}>.")
    return _Reader(root).read()


def join_parameters(href: str, parameters: str | None) -> str:
    """The launch URL of `href` with an item's `parameters`, by the IMS Content Packaging rule."""
    if not parameters:
        return href
    params = parameters.strip().lstrip("?&")
    if not params:
        return href
    if params.startswith("#"):
        return href if "#" in href else href + params
    base, hash_, fragment = href.partition("#")
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}{params}{hash_}{fragment}"


def detect_version(schemaversion: str | None, namespaces: set[str]) -> tuple[str, str | None, str | None]:
    """(scorm_version, edition, warning) from the schemaversion text, else from the namespaces."""
    text = " ".join((schemaversion or "").split())
    lower = text.lower()
    if lower in ("1.2", "1.1", "1.0"):
        note = None if lower == "1.2" else f"schemaversion '{text}' is older than SCORM 1.2; it runs as SCORM 1.2."
        return "1.2", None, note
    if lower in _EDITIONS:
        return "2004", _EDITIONS[lower], None
    if "2004" in lower:
        match = _EDITION_WORD.search(lower)
        if match and match.group(1) in "234":
            return "2004", {"2": "2nd", "3": "3rd", "4": "4th"}[match.group(1)], None
    joined = " ".join(namespaces).lower()
    if "adlcp_rootv1p2" in joined or "imscp_rootv1p1p2" in joined:
        return "1.2", None, _unknown(text, "SCORM 1.2")
    if "adlcp_v1p3" in joined or "imsss" in joined or "adlseq" in joined or "imscp_v1p1" in joined:
        return "2004", None, _unknown(text, "SCORM 2004 (edition unknown)")
    raise PackageError("imsmanifest.xml does not say which SCORM version it is: no schemaversion that names "
                       "one, and no SCORM namespace.")


def _unknown(text: str, what: str) -> str:
    said = f"schemaversion '{text}' is not one this server knows" if text else "the manifest has no schemaversion"
    return f"{said}; read as {what} from its namespaces."


def _parse_xml(xml: bytes | str) -> Element:
    try:
        return SafeET.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise PackageError("imsmanifest.xml has a DOCTYPE declaration; manifests with a DTD are refused "
                           "(entity expansion and external entities are attacks).") from None
    except defusedxml.EntitiesForbidden:
        raise PackageError("imsmanifest.xml declares XML entities; they are refused.") from None
    except defusedxml.ExternalReferenceForbidden:
        raise PackageError("imsmanifest.xml refers to external XML resources; they are refused.") from None
    except (ParseError, ValueError) as exc:
        raise PackageError(f"imsmanifest.xml is not well-formed XML ({exc}).") from None


# -- element helpers ------------------------------------------------------------------------------


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _local(tag: Any) -> str:
    return _split(tag)[1].lower() if isinstance(tag, str) else ""


def _family(ns: str) -> str:
    """Which standard a namespace belongs to: imsss, adlseq, adlnav, adlcp, or cp (content packaging)."""
    lower = ns.lower()
    for family in ("imsss", "adlseq", "adlnav", "adlcp"):
        if family in lower:
            return family
    return "cp"


def _children(el: Element | None, name: str, family: str | None = None) -> list[Element]:
    if el is None:
        return []
    found = []
    for child in el:
        if not isinstance(child.tag, str):
            continue  # a comment or processing instruction
        ns, local = _split(child.tag)
        if local.lower() == name and (family is None or _family(ns) == family or (not ns and family == "cp")):
            found.append(child)
    return found


def _child(el: Element | None, name: str, family: str | None = None) -> Element | None:
    found = _children(el, name, family)
    return found[0] if found else None


def _attr(el: Element | None, name: str) -> str | None:
    """An attribute by local name, case-insensitively, whatever its namespace prefix."""
    if el is None:
        return None
    for key, value in el.attrib.items():
        if _split(key)[1].lower() == name:
            return value
    return None


def _text(el: Element | None) -> str | None:
    if el is None:
        return None
    text = "".join(el.itertext()).strip()
    return text or None


def _title(el: Element | None) -> str | None:
    """A title's text with its whitespace (line breaks of a pretty-printed manifest) collapsed."""
    text = _text(el)
    return " ".join(text.split()) if text else None


def _number(text: str | None) -> float | int | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() else value


def _true(text: str | None) -> bool:
    return (text or "").strip().lower() == "true"


def _namespaces(root: Element) -> set[str]:
    found = set()
    for el in root.iter():
        if isinstance(el.tag, str):
            found.add(_split(el.tag)[0])
        found.update(_split(k)[0] for k in el.attrib)
    return {ns for ns in found if ns}


# -- the reader -----------------------------------------------------------------------------------


class _Reader:
    def __init__(self, root: Element) -> None:
        self.root = root
        self.warnings: list[str] = []
        self.external: list[str] = []
        self.launch_files: dict[str, str] = {}
        self.listed: list[str] = []
        self.items: list[dict[str, Any]] = []
        self.resources: dict[str, Element] = {}
        self.resource_bases: dict[str, str] = {}
        self.collection: dict[str, Element] = {}

    def read(self) -> ParsedManifest:
        root = self.root
        metadata = _child(root, "metadata")
        schemaversion = _text(_child(metadata, "schemaversion"))
        version, edition, note = detect_version(schemaversion, _namespaces(root))
        self.version = version
        if note:
            self.warnings.append(note)
        self._read_resources()
        for seq in _children(_child(root, "sequencingcollection", "imsss"), "sequencing", "imsss"):
            seq_id = _attr(seq, "id")
            if seq_id:
                self.collection[seq_id] = seq

        organizations = _child(root, "organizations")
        orgs = _children(organizations, "organization")
        default_id = _attr(organizations, "default")
        org = next((o for o in orgs if _attr(o, "identifier") == default_id), None)
        if org is None and orgs:
            org = orgs[0]
            if default_id:
                self.warnings.append(f"The default organization '{default_id}' does not exist; "
                                     f"'{_attr(org, 'identifier')}' is used.")
        if org is not None:
            org_id = _attr(org, "identifier") or "organization"
            title = _title(_child(org, "title")) or _attr(root, "identifier") or "Untitled package"
            control = self._control_mode(org)
            for item in _children(org, "item"):
                self._walk(item, None, 0, control)
            if not self.items:
                raise PackageError(f"The organization '{org_id}' has no items to launch.")
        else:
            org_id, title = "", _attr(root, "identifier") or "Untitled package"
            self._items_from_resources()
        if not any(item["launch"] for item in self.items):
            raise PackageError("No item of the package launches anything (no item references a resource "
                               "with an href).")
        if _children(root, "manifest"):
            self.warnings.append("Sub-manifests are not supported; their items were ignored.")
        data = {
            "scorm_version": version,
            "edition": edition,
            "schemaversion": schemaversion or "",
            "title": title,
            "default_organization": org_id,
            "items": self.items,
        }
        return ParsedManifest(data, self.warnings, _dedupe(self.external), self.launch_files, _dedupe(self.listed))

    def _read_resources(self) -> None:
        resources = _child(self.root, "resources")
        base = _join_base(_attr(self.root, "base"), _attr(resources, "base"))
        for res in _children(resources, "resource"):
            res_id = _attr(res, "identifier")
            if not res_id:
                self.warnings.append("A resource without an identifier was ignored.")
                continue
            if res_id in self.resources:
                self.warnings.append(f"The resource identifier '{res_id}' is used twice; the first one counts.")
                continue
            self.resources[res_id] = res
            res_base = _join_base(base, _attr(res, "base"))
            self.resource_bases[res_id] = res_base
            for file_el in _children(res, "file"):
                href = _attr(file_el, "href")
                if not href:
                    continue
                if _is_absolute(href):
                    self.external.append(href)
                    continue
                path = _package_path(res_base, href)
                if path is not None:
                    self.listed.append(path)

    def _walk(self, el: Element, parent: str | None, depth: int, control: tuple[bool, bool]) -> None:
        """`control`: the parent's controlMode (choice, flow), which governs how this item is reached."""
        identifier = _attr(el, "identifier") or f"item-{len(self.items) + 1}"
        children = _children(el, "item")
        entry = self._item(el, identifier, parent, depth, is_leaf=not children)
        entry["choice"], entry["flow"] = control
        self.items.append(entry)
        own = self._control_mode(el)
        for child in children:
            self._walk(child, identifier, depth + 1, own)

    def _control_mode(self, el: Element) -> tuple[bool, bool]:
        """SCORM 2004 imsss:controlMode of a cluster (or the organization): whether its children may
        be chosen from the table of contents, and reached by continue/previous. With no controlMode
        declared, both (free navigation, as LMSs without sequencing offer); once declared, the IMS
        defaults apply to what it leaves out (choice true, flow false)."""
        if self.version == "1.2":
            return True, True
        own = _child(el, "sequencing", "imsss")
        shared = self.collection.get(_attr(own, "idref") or "") if own is not None else None
        mode = _child(own, "controlmode", "imsss")
        if mode is None:
            mode = _child(shared, "controlmode", "imsss")
        if mode is None:
            return True, True
        choice = _attr(mode, "choice")
        return (choice is None or _true(choice)), _true(_attr(mode, "flow"))

    def _item(self, el: Element, identifier: str, parent: str | None, depth: int, *, is_leaf: bool) -> dict[str, Any]:
        title = _title(_child(el, "title")) or identifier
        entry: dict[str, Any] = {
            "identifier": identifier, "title": title, "parent": parent, "depth": depth, "is_leaf": is_leaf,
            "resource_identifier": None, "scorm_type": None, "launch": None,
            "mastery_score": None, "data_from_lms": None, "max_time_allowed": None, "time_limit_action": None,
            "completion_threshold": None, "scaled_passing_score": None, "objectives": [],
            "hidden_from_choice": (_attr(el, "isvisible") or "").strip().lower() == "false",
            "prerequisites": None, "choice": True, "flow": True,
        }
        ref = _attr(el, "identifierref")
        if ref:
            self._launch(entry, ref, _attr(el, "parameters"))
        elif is_leaf:
            self.warnings.append(f"The item '{identifier}' has no resource, so it launches nothing.")
        if self.version == "1.2":
            self._scorm12(el, entry)
        else:
            self._scorm2004(el, entry)
        return entry

    def _launch(self, entry: dict[str, Any], ref: str, parameters: str | None) -> None:
        identifier = entry["identifier"]
        res = self.resources.get(ref)
        if res is None:
            raise PackageError(f"The item '{identifier}' refers to the resource '{ref}', which the manifest "
                               "does not define.")
        entry["resource_identifier"] = ref
        scorm_type = (_attr(res, "scormtype") or "").strip().lower()
        if scorm_type not in ("sco", "asset"):
            if scorm_type:
                self.warnings.append(f"The resource '{ref}' has scormType '{scorm_type}'; it is taken as an asset.")
            scorm_type = "asset"
        entry["scorm_type"] = scorm_type
        href = _attr(res, "href")
        if not href:
            raise PackageError(f"The item '{identifier}' refers to the resource '{ref}', which has no href "
                               "to launch.")
        href = href.strip()
        if _is_absolute(href):
            if scorm_type == "sco":
                raise PackageError(f"The SCO '{identifier}' launches '{href}', outside the package; a SCO "
                                   "must be a file of the package.")
            self.external.append(href)
            entry["launch"] = join_parameters(href, parameters)
            return
        parts = urlsplit(href)
        base = self.resource_bases.get(ref, "")
        path = _package_path(base, parts.path)
        if path is None or not parts.path:
            raise PackageError(f"The item '{identifier}' launches '{href}', which is not a path inside the package.")
        url_path = posixpath.normpath(base + parts.path) if base else posixpath.normpath(parts.path)
        launch = (url_path + (f"?{parts.query}" if parts.query else "")
                  + (f"#{parts.fragment}" if parts.fragment else ""))
        entry["launch"] = join_parameters(launch, parameters)
        self.launch_files[identifier] = path

    def _scorm12(self, el: Element, entry: dict[str, Any]) -> None:
        mastery = _text(_child(el, "masteryscore"))
        if mastery is not None:
            value = _number(mastery)
            if value is None or not 0 <= value <= 100:
                self.warnings.append(f"The item '{entry['identifier']}' has a mastery score '{mastery}' "
                                     "that is not a number from 0 to 100; it is ignored.")
            else:
                entry["mastery_score"] = value
        entry["data_from_lms"] = _text(_child(el, "datafromlms"))
        entry["max_time_allowed"] = _text(_child(el, "maxtimeallowed"))
        entry["time_limit_action"] = self._time_limit_action(entry, _text(_child(el, "timelimitaction")))
        entry["prerequisites"] = _text(_child(el, "prerequisites"))

    def _scorm2004(self, el: Element, entry: dict[str, Any]) -> None:
        identifier = entry["identifier"]
        entry["data_from_lms"] = _text(_child(el, "datafromlms"))
        entry["time_limit_action"] = self._time_limit_action(entry, _text(_child(el, "timelimitaction")))
        threshold = _child(el, "completionthreshold")
        if threshold is not None:
            entry["completion_threshold"] = self._unit_number(identifier, "completion threshold",
                                                              _completion_threshold(threshold), 0, 1)
        own = _child(el, "sequencing", "imsss")
        shared = self.collection.get(_attr(own, "idref") or "") if own is not None else None
        if own is not None and _attr(own, "idref") and shared is None:
            self.warnings.append(f"The item '{identifier}' uses the sequencing '{_attr(own, 'idref')}', which "
                                 "the sequencingCollection does not define.")

        def seq(name: str) -> Element | None:  # the item's own element, else the shared one's
            found = _child(own, name, "imsss")
            return found if found is not None else _child(shared, name, "imsss")

        limits = seq("limitconditions")
        entry["max_time_allowed"] = (_attr(limits, "attemptabsolutedurationlimit") or "").strip() or None
        objectives = seq("objectives")
        primary = _child(objectives, "primaryobjective", "imsss")
        ids: list[str] = []
        if primary is not None:
            primary_id = (_attr(primary, "objectiveid") or "").strip()
            if primary_id:
                ids.append(primary_id)
            if _true(_attr(primary, "satisfiedbymeasure")):
                measure = _text(_child(primary, "minnormalizedmeasure", "imsss"))
                entry["scaled_passing_score"] = self._unit_number(
                    identifier, "minimum normalized measure", "1.0" if measure is None else measure, -1, 1)
        for objective in _children(objectives, "objective", "imsss"):
            objective_id = (_attr(objective, "objectiveid") or "").strip()
            if objective_id and objective_id not in ids:
                ids.append(objective_id)
        entry["objectives"] = ids
        rules = seq("sequencingrules")
        for rule in _children(rules, "preconditionrule", "imsss"):
            action = _child(rule, "ruleaction", "imsss")
            if (_attr(action, "action") or "").strip().lower() == "hiddenfromchoice":
                entry["hidden_from_choice"] = True

    def _unit_number(self, identifier: str, what: str, text: str | None, low: int, high: int) -> float | int | None:
        if text is None:
            return None
        value = _number(text)
        if value is None or not low <= value <= high:
            self.warnings.append(f"The item '{identifier}' has a {what} '{text}' outside {low}..{high}; it is ignored.")
            return None
        return value

    def _time_limit_action(self, entry: dict[str, Any], text: str | None) -> str | None:
        if text is None:
            return None
        normal = ",".join(part.strip() for part in text.lower().split(","))
        if normal not in _TIME_LIMIT_ACTIONS:
            self.warnings.append(f"The item '{entry['identifier']}' has an unknown time limit action '{text}'; "
                                 "it is ignored.")
            return None
        return normal

    def _items_from_resources(self) -> None:
        """No organization: one item per resource with an href, SCOs first if there are any."""
        launchable = [rid for rid, res in self.resources.items() if _attr(res, "href")]
        scos = [rid for rid in launchable if (_attr(self.resources[rid], "scormtype") or "").lower() == "sco"]
        chosen = scos or launchable
        if not chosen:
            raise PackageError("imsmanifest.xml has no organization and no resource to launch.")
        self.warnings.append("The manifest has no organization; each launchable resource became an item.")
        for rid in chosen:
            entry: dict[str, Any] = {
                "identifier": rid, "title": rid, "parent": None, "depth": 0, "is_leaf": True,
                "resource_identifier": None, "scorm_type": None, "launch": None,
                "mastery_score": None, "data_from_lms": None, "max_time_allowed": None, "time_limit_action": None,
                "completion_threshold": None, "scaled_passing_score": None, "objectives": [],
                "hidden_from_choice": False, "prerequisites": None, "choice": True, "flow": True,
            }
            self._launch(entry, rid, None)
            self.items.append(entry)


def _completion_threshold(el: Element) -> str | None:
    """2nd/3rd edition: the element's value. 4th: minProgressMeasure (default 1.0) when completedByMeasure."""
    text = _text(el)
    if text is not None:
        return text
    if _true(_attr(el, "completedbymeasure")):
        return (_attr(el, "minprogressmeasure") or "1.0").strip()
    return None


def _is_absolute(href: str) -> bool:
    parts = urlsplit(href.strip())
    return bool(parts.scheme) or href.strip().startswith("//")


def _join_base(*bases: str | None) -> str:
    """`xml:base` values joined into a folder path relative to the package root ('' or 'a/b/')."""
    path = ""
    for base in bases:
        if not base:
            continue
        base = base.strip()
        if _is_absolute(base):
            raise PackageError(f"xml:base '{base}' points outside the package.")
        path = base.lstrip("/") if base.startswith("/") else path + base
        if path and not path.endswith("/"):
            path += "/"
    return path


def _package_path(base: str, href: str) -> str | None:
    """The file an href names, relative to the package root and unquoted; None if it leaves the root."""
    raw = unquote(urlsplit(base + href).path)
    if not raw or raw.startswith("/") or "\\" in raw:
        return None
    normal = posixpath.normpath(raw)
    if normal == ".." or normal.startswith("../"):
        return None
    return normal


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
