"""The scripted test SCO (sco.html, sco.js), packaged on demand as a SCORM 1.2 or 2004 zip.

`package(version, items)` writes a manifest whose items all launch `sco.html` with their own
parameters (`?script=errors`, `?init=1&finish=1&set=...`), with whatever extra manifest XML an
item needs (mastery score, objectives, completion threshold...).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

# One SCO and one asset, both the scripted page; 1.2 spells the attribute scormtype, 2004 scormType.
RESOURCES = """  <resources>
    <resource identifier="res_sco" type="webcontent" adlcp:{attribute}="sco" href="sco.html">
      <file href="sco.html"/><file href="sco.js"/>
    </resource>
    <resource identifier="res_asset" type="webcontent" adlcp:{attribute}="asset" href="sco.html">
      <file href="sco.html"/><file href="sco.js"/>
    </resource>
  </resources>"""

MANIFEST_12 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="test.scripted.12" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org"><title>{title}</title>
{items}
    </organization>
  </organizations>
{resources}
</manifest>
"""

MANIFEST_2004 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="test.scripted.2004" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
  xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org"><title>{title}</title>
{items}
    </organization>
  </organizations>
{resources}
</manifest>
"""

# What the error scripts of sco.js expect from the manifest.
ERRORS_12 = """<adlcp:masteryscore>80</adlcp:masteryscore><adlcp:datafromlms>hello</adlcp:datafromlms>"""
ERRORS_2004 = """<adlcp:dataFromLMS>hello</adlcp:dataFromLMS>
<adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.8"/>
<imsss:sequencing><imsss:objectives>
  <imsss:primaryObjective objectiveID="primary" satisfiedByMeasure="true">
    <imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure>
  </imsss:primaryObjective>
  <imsss:objective objectiveID="obj_a"/>
</imsss:objectives></imsss:sequencing>"""


@dataclass(frozen=True)
class Item:
    identifier: str
    parameters: str = "?init=1&finish=1"
    extra: str = ""
    title: str = ""
    asset: bool = False  # an asset (no API) instead of a SCO

    @property
    def resource(self) -> str:
        return "res_asset" if self.asset else "res_sco"


def package(version: str, items: list[Item], title: str = "Scripted SCO") -> bytes:
    """A zip of the scripted SCO with one manifest item per `items` entry."""
    xml = "\n".join(
        f'      <item identifier="{item.identifier}" identifierref="{item.resource}" '
        f'parameters="{_attr(item.parameters)}">'
        f"<title>{item.title or item.identifier}</title>{item.extra}</item>"
        for item in items)
    attribute = "scormtype" if version == "1.2" else "scormType"
    manifest = (MANIFEST_12 if version == "1.2" else MANIFEST_2004).format(
        title=title, items=xml, resources=RESOURCES.format(attribute=attribute))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("imsmanifest.xml", manifest)
        for name in ("sco.html", "sco.js"):
            zf.write(HERE / name, name)
    return out.getvalue()


def errors_package(version: str) -> bytes:
    """One SCO that runs the error script of its version (see sco.js)."""
    return package(version, [Item("sco_1", "?script=errors", ERRORS_12 if version == "1.2" else ERRORS_2004)])


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
