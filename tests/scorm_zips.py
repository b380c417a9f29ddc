"""Zips for the SCORM import tests: small valid packages, and every kind of hostile one.

Each builder returns the zip's bytes. The hostile ones are built with zipfile where it can say
what is needed (names, Unix modes, sizes), and patched byte by byte where it cannot (the
encryption flag).
"""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
import zlib

MIB = 1024 * 1024

INDEX_HTML = b"<!doctype html><html><head><title>SCO</title><script src='api.js'></script></head><body>Hi</body></html>"


def manifest_12(launch: str = "index.html", *, title: str = "Tiny 1.2 course", extra_item: str = "",
                parameters: str | None = None) -> str:
    params = f' parameters="{parameters}"' if parameters is not None else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="tiny12" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org"><organization identifier="org"><title>{title}</title>
    <item identifier="item_1" identifierref="res_1"{params}><title>Only SCO</title>
      <adlcp:masteryscore>80</adlcp:masteryscore>
      <adlcp:datafromlms>level=2</adlcp:datafromlms>
      <adlcp:maxtimeallowed>00:30:00</adlcp:maxtimeallowed>
      <adlcp:timelimitaction>exit,message</adlcp:timelimitaction>
    </item>{extra_item}
  </organization></organizations>
  <resources>
    <resource identifier="res_1" type="webcontent" adlcp:scormtype="sco" href="{launch}">
      <file href="{launch.split('?')[0]}"/>
    </resource>
  </resources>
</manifest>"""


def manifest_2004(body_items: str, resources: str, *, schemaversion: str = "2004 4th Edition",
                  collection: str = "", resources_base: str = "") -> str:
    base = f' xml:base="{resources_base}"' if resources_base else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="m2004" version="1" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>{schemaversion}</schemaversion></metadata>
  <organizations default="org"><organization identifier="org"><title>A 2004 course</title>
  {body_items}
  </organization></organizations>
  <resources{base}>{resources}</resources>
  {collection}
</manifest>"""


def build(files: dict[str, bytes | str], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of `files` (name -> content), in the given order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 11, 19, 0, 0, 0)),
                             data.encode() if isinstance(data, str) else data, compress_type=compression)
    return buffer.getvalue()


def package(extra: dict[str, bytes | str] | None = None, *, manifest: str | None = None) -> bytes:
    """A valid one-SCO SCORM 1.2 package, plus `extra` files."""
    files: dict[str, bytes | str] = {"imsmanifest.xml": manifest or manifest_12(), "index.html": INDEX_HTML,
                                     "api.js": "var x = 1;"}
    files.update(extra or {})
    return build(files)


def media_package() -> bytes:
    """A package with one file of each served type and a 1000-byte "video" for Range requests."""
    return package({
        "media/clip.mp4": bytes(i % 251 for i in range(1000)),
        "media/sound.mp3": b"ID3" + bytes(100),
        "style/site.css": "body { background: url(bg.png); }",
        "style/bg.png": b"\x89PNG\r\n\x1a\n" + bytes(20),
        "img/photo.jpg": b"\xff\xd8\xff" + bytes(20),
        "fonts/f.woff2": b"wOF2" + bytes(20),
        "lib/module.wasm": b"\x00asm" + bytes(8),
        "data/q.json": '{"a": 1}',
        "schema/x.xsd": "<xs:schema/>",
        "misc/file.weird": b"?",
        "docs/caf\u00e9 menu.html": "<p>caf\u00e9</p>",
    })


# -- hostile zips ---------------------------------------------------------------------------------


def with_entry(name: str, data: bytes = b"x", *, mode: int | None = None) -> bytes:
    """A valid package plus one entry named exactly `name` (Unix `mode` in the external attributes)."""
    buffer = io.BytesIO(package())
    with zipfile.ZipFile(buffer, "a") as archive:
        info = zipfile.ZipInfo(name, date_time=(2024, 11, 19, 0, 0, 0))
        if mode is not None:
            info.create_system = 3
            info.external_attr = mode << 16
        archive.writestr(info, data)
    return buffer.getvalue()


def traversal() -> bytes:
    return with_entry("../../evil.html", b"<script>alert(1)</script>")


def absolute_path() -> bytes:
    return with_entry("/tmp/evil.html")


def drive_letter() -> bytes:
    return with_entry("C:/Windows/evil.dll")


def backslashes() -> bytes:
    return with_entry("..\\..\\evil.html")


def symlink() -> bytes:
    return with_entry("shared/passwd.html", b"/etc/passwd", mode=0o120777)


def fifo() -> bytes:
    return with_entry("shared/pipe", b"", mode=0o010644)


def duplicate_names() -> bytes:
    buffer = io.BytesIO(package())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate; that is the point
        with zipfile.ZipFile(buffer, "a") as archive:
            archive.writestr("index.html", b"<p>the other index</p>")
    return buffer.getvalue()


def file_and_folder() -> bytes:
    return package({"shared": "a file", "shared/inner.html": "a file in a folder of the same name"})


def bomb_by_ratio(size: int = 20 * MIB) -> bytes:
    """One entry of `size` zero bytes: deflate makes it about a thousand times smaller."""
    return package({"video/huge.bin": bytes(size)})


def bomb_by_total(entries: int = 1100, size: int = MIB) -> bytes:
    """Many entries of 1 MiB of zeros each (at the ratio floor, so none is a ratio bomb): 1.07 GiB
    unpacked from about 1 MiB. The 1 MiB is deflated once and its bytes repeated."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = compressor.compress(bytes(size)) + compressor.flush()
    crc = zlib.crc32(bytes(size))
    base = package()
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        kept = [(info.filename, archive.read(info)) for info in archive.infolist()]
    entries_out = [(name, zlib.crc32(data), len(data), _deflate(data)) for name, data in kept]
    entries_out += [(f"fill/{i:05d}.bin", crc, size, payload) for i in range(entries)]
    return raw_zip(entries_out)


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def raw_zip(entries: list[tuple[str, int, int, bytes]]) -> bytes:
    """A deflated zip written by hand from (name, crc32, unpacked size, deflated bytes): the sizes
    are whatever the caller says, which is how a zip can lie about them."""
    out = bytearray()
    central = bytearray()
    for name, crc, size, data in entries:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x5933, crc, len(data), size, len(encoded), 0)
        out += encoded + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x5933, crc, len(data), size,
                               len(encoded), 0, 0, 0, 0, 0, offset)
        central += encoded
    start = len(out)
    out += central
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), start, 0)
    return bytes(out)


def lying_size() -> bytes:
    """An entry that declares 10 bytes but holds 5000: unpacking must stop at the declared size."""
    data = b"A" * 5000
    return raw_zip([("imsmanifest.xml", zlib.crc32(manifest_12().encode()), len(manifest_12().encode()),
                     _deflate(manifest_12().encode())),
                    ("index.html", zlib.crc32(data), 10, _deflate(data))])


def too_many_entries(entries: int = 10_001) -> bytes:
    buffer = io.BytesIO(package())
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as archive:
        for i in range(entries):
            archive.writestr(f"many/{i:05d}.txt", b"")
    return buffer.getvalue()


def encrypted() -> bytes:
    """The traditional-encryption flag set on index.html, in its local header and the central directory."""
    data = bytearray(package())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("index.html")
    local = info.header_offset
    assert data[local:local + 4] == b"PK\x03\x04"
    flags = struct.unpack_from("<H", data, local + 6)[0]
    struct.pack_into("<H", data, local + 6, flags | 0x1)
    central = data.find(b"PK\x01\x02")  # the central directory records, in order
    while central >= 0:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46:central + 46 + name_len] == b"index.html":
            flags = struct.unpack_from("<H", data, central + 8)[0]
            struct.pack_into("<H", data, central + 8, flags | 0x1)
            break
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def no_manifest() -> bytes:
    return build({"index.html": INDEX_HTML})


def nested_manifest() -> bytes:
    return build({"course/imsmanifest.xml": manifest_12(), "course/index.html": INDEX_HTML})


def entity_expansion() -> bytes:
    """A "billion laughs" manifest: ten levels of entities, each ten times the one before."""
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{"".join(f"&lol{i - 1};" for _ in range(10))}">' for i in range(1, 10)]
    doctype = "<!DOCTYPE manifest [\n" + "\n".join(levels) + "\n]>"
    text = manifest_12(title="&lol9;").replace('<?xml version="1.0" encoding="UTF-8"?>',
                                               '<?xml version="1.0" encoding="UTF-8"?>\n' + doctype)
    return package(manifest=text)


def external_entity() -> bytes:
    """XXE: an entity whose value is read from the server's /etc/passwd."""
    doctype = '<!DOCTYPE manifest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    text = manifest_12(title="&xxe;").replace('<?xml version="1.0" encoding="UTF-8"?>',
                                              '<?xml version="1.0" encoding="UTF-8"?>\n' + doctype)
    return package(manifest=text)


def malformed_manifest() -> bytes:
    return package(manifest="<manifest><organizations>")


def not_a_zip() -> bytes:
    return b"This is a text file, not a zip archive.\n" * 20


def truncated_zip() -> bytes:
    """Starts like a zip (so it passes the type sniff) but has no central directory."""
    return package()[:200]


def missing_launch_file() -> bytes:
    return build({"imsmanifest.xml": manifest_12("missing/start.html"), "index.html": INDEX_HTML})
