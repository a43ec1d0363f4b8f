"""Coverage-guided fuzzing (atheris) of the portal's image handling: no crash, hang or blow-up.

Usage: .venv/bin/python scripts/fuzz_images.py [--seconds 60] [--keep DIR]
           [--timeout 20] [--rss-limit-mb 2048] [--max-len 65536]
       .venv/bin/python scripts/fuzz_images.py --worker FILE...   (replay inputs, e.g. a crash)

Each input goes through both doors uploaded bytes come in by:
- `attachments.clean_attachment`: a tip attachment, sniffed, then a photo (JPEG, PNG, WebP, HEIC)
  decoded and re-encoded without metadata, or a PDF rebuilt page by page without metadata;
- `media.process_image`: a case image from a records import or the editor (JPEG, PNG, WebP,
  GIF), re-encoded with its web-sized derivatives, refusing decompression bombs.
Refusals (AttachmentRejected, ImageRejected) are the expected answer to bad input. Any other
exception is a crash, an input taking longer than --timeout seconds a hang, and a process
growing past --rss-limit-mb an out-of-memory: each is saved to the work folder's `crashes/`.

The fuzzer runs in a subprocess for a fixed time (libFuzzer's -max_total_time), so a crash
or a hard fault is reported here rather than taking this script down with it. The seed corpus
is made at start-up from the test fixture photo and small files made with Pillow,
pillow-heif and pypdf, so every format starts from a valid file.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_PHOTO = ROOT / "tests" / "fixtures" / "be-1992-0603-tattoo.jpg"
# Modules whose Python code is instrumented for coverage: the portal's handling and the
# pure-Python parts of the decoders it drives (Pillow's plugins, pypdf).
INSTRUMENTED = ["portal.attachments", "portal.media", "PIL", "pypdf", "pillow_heif"]
ARTIFACT_PREFIXES = ("crash-", "timeout-", "oom-", "leak-", "slow-unit-")
# Crashing inputs are copied here too, so a throwaway work folder does not take them with it.
KEPT_CRASHES = ROOT / "build" / "verify" / "fuzz-crashes"
# Tokens that let the mutator build chunks, segments and objects it could not guess byte by byte.
DICTIONARY = [
    b"\x89PNG\r\n\x1a\n", b"IHDR", b"IDAT", b"IEND", b"PLTE", b"tRNS", b"iCCP", b"eXIf",
    b"tEXt", b"zTXt", b"acTL", b"fcTL", b"fdAT", b"\xff\xd8\xff", b"\xff\xe0", b"\xff\xe1",
    b"\xff\xe2", b"\xff\xdb", b"\xff\xc0", b"\xff\xc2", b"\xff\xc4", b"\xff\xda", b"\xff\xd9",
    b"\xff\xfe", b"Exif\x00\x00", b"ICC_PROFILE\x00", b"MM\x00*", b"II*\x00", b"\x01\x12",
    b"RIFF", b"WEBP", b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"EXIF", b"XMP ",
    b"GIF89a", b"NETSCAPE2.0", b"\x21\xf9\x04", b"\x2c", b"ftyp", b"heic", b"mif1", b"meta",
    b"hdlr", b"pict", b"iloc", b"iinf", b"ipco", b"ispe", b"hvcC", b"mdat", b"%PDF-1.7",
    b"%%EOF", b" obj", b"endobj", b"stream\n", b"\nendstream", b"xref", b"trailer", b"startxref",
    b"/Root", b"/Pages", b"/Kids", b"/Count", b"/Type", b"/Page", b"/Contents", b"/Resources",
    b"/XObject", b"/Subtype", b"/Image", b"/Length", b"/Filter", b"/DCTDecode", b"/FlateDecode",
    b"/ASCIIHexDecode", b"/DecodeParms", b"/Width", b"/Height", b"/Encrypt", b"/ObjStm",
    b"/Parent", b"/Annots", b"/AA", b"/OpenAction", b"/JS", b"/EmbeddedFiles", b"/Metadata",
    b"<<", b">>", b"[", b"]", b" 0 R", b"<script>", b"PK\x05\x06",
]  # fmt: skip


# ---------------------------------------------------------------------------
# The worker: runs inside the subprocess, under atheris


def worker(argv: list[str]) -> None:
    """Run libFuzzer with `argv` (its own options and corpus folders, or files to replay)."""
    import logging
    import warnings

    import atheris

    # Instrument before anything imports Pillow or pypdf: only modules imported inside the
    # block report their coverage to libFuzzer.
    with atheris.instrument_imports(include=INSTRUMENTED):
        import pillow_heif  # noqa: F401 - imported here to be instrumented
        import pypdf  # noqa: F401

        from portal import attachments, media

    # pypdf logs every oddity of a damaged file, Pillow warns about damaged EXIF: neither is
    # a failure, and printing them would slow the fuzzer to a crawl.
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")

    def one_input(data: bytes) -> None:
        # A refusal is the right answer to bad bytes; anything else escapes and is a crash.
        with contextlib.suppress(attachments.AttachmentRejected):
            attachments.clean_attachment(data)
        with contextlib.suppress(media.ImageRejected):
            media.process_image(data)

    atheris.Setup([sys.argv[0], *argv], one_input)
    atheris.Fuzz()


# ---------------------------------------------------------------------------
# The seed corpus


def seeds() -> dict[str, bytes]:
    """Small valid files of every format the portal takes or names in a refusal."""
    import pillow_heif
    from PIL import Image, ImageDraw
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    def picture(mode: str, size: tuple[int, int] = (24, 16)) -> Image.Image:
        image = Image.new("RGB", size, (200, 40, 40))
        ImageDraw.Draw(image).ellipse((2, 2, size[0] - 3, size[1] - 3), fill=(20, 90, 200))
        return image.convert(mode)

    def save(image: Image.Image, fmt: str, **options: object) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, fmt, **options)
        return buffer.getvalue()

    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate
    exif[0x010F] = "FuzzCam"
    srgb = io.BytesIO()
    from PIL import ImageCms

    srgb.write(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    found: dict[str, bytes] = {
        "fixture.jpg": FIXTURE_PHOTO.read_bytes(),
        "exif-icc.jpg": save(picture("RGB"), "JPEG", exif=exif, icc_profile=srgb.getvalue()),
        "progressive.jpg": save(picture("RGB"), "JPEG", progressive=True, quality=50),
        "cmyk.jpg": save(picture("CMYK"), "JPEG"),
        "grey.jpg": save(picture("L"), "JPEG"),
        "rgba.png": save(picture("RGBA"), "PNG", pnginfo=None),
        "palette.png": save(picture("P"), "PNG", transparency=0),
        "grey16.png": save(picture("I;16"), "PNG"),
        "bilevel.png": save(picture("1"), "PNG"),
        "exif.png": save(picture("RGB"), "PNG", exif=exif),
        "lossy.webp": save(picture("RGB"), "WEBP", quality=40),
        "lossless.webp": save(picture("RGBA"), "WEBP", lossless=True),
        "still.gif": save(picture("P"), "GIF"),
        "animated.gif": save(
            picture("P"), "GIF", save_all=True, append_images=[picture("P", (24, 16))], loop=0
        ),
        "refused.bmp": save(picture("RGB"), "BMP"),
        "refused.tiff": save(picture("RGB"), "TIFF"),
        "pillow.pdf": save(picture("RGB", (64, 48)), "PDF"),
    }
    heif = pillow_heif.from_pillow(picture("RGB", (32, 32)))
    buffer = io.BytesIO()
    heif.save(buffer, quality=30)
    found["photo.heic"] = buffer.getvalue()

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('fuzz');"),
        }
    )
    writer.add_attachment("notes.txt", b"embedded file")
    writer.add_metadata({"/Author": "Fuzz Author", "/Title": "Seed"})
    buffer = io.BytesIO()
    writer.write(buffer)
    found["active.pdf"] = buffer.getvalue()
    return found


# ---------------------------------------------------------------------------
# Running and reporting


@dataclass
class FuzzReport:
    seconds: int
    wall_seconds: float
    executions: int | None = None
    coverage: int | None = None  # libFuzzer "cov": edges of instrumented code reached
    features: int | None = None  # libFuzzer "ft"
    corpus: str | None = None
    new_units: int | None = None
    exec_per_second: int | None = None
    peak_rss_mb: int | None = None
    exit_code: int | None = None
    crashes: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # crash reasons, or why it did not run
    log: Path | None = None

    @property
    def failures(self) -> int:
        # One saved input per crash; a fault that saved none (the fuzzer killed, or not
        # started) is still one.
        return len(self.crashes) or (1 if self.problems else 0)

    def figures(self) -> str:
        parts = []
        if self.coverage is not None:
            parts.append(f"cov {self.coverage:,}, ft {self.features or 0:,}")
        if self.exec_per_second is not None:
            parts.append(f"{self.exec_per_second:,} exec/s")
        if self.corpus:
            parts.append(f"corpus {self.corpus}")
        if self.peak_rss_mb is not None:
            parts.append(f"peak RSS {self.peak_rss_mb} MB")
        return ", ".join(parts)


_STATUS = re.compile(
    r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\S+).*?(?:exec/s: (\d+))?", re.MULTILINE
)
_STAT = re.compile(r"^stat::(\w+):\s+(\d+)", re.MULTILINE)
_PROBLEM = re.compile(
    r"^(=== Uncaught Python exception: ===|==\d+== ERROR: libFuzzer: .*|"
    r"==\d+== ERROR: .*|\w+Error: .*|ALARM: .*)$",
    re.MULTILINE,
)


def parse(output: str, report: FuzzReport) -> None:
    statuses = _STATUS.findall(output)
    if statuses:
        runs, cov, ft, corpus, rate = statuses[-1]
        report.executions = int(runs)
        report.coverage, report.features, report.corpus = int(cov), int(ft), corpus
        if rate:
            report.exec_per_second = int(rate)
    stats = dict(_STAT.findall(output))
    if "number_of_executed_units" in stats:
        report.executions = int(stats["number_of_executed_units"])
    if "average_exec_per_sec" in stats:
        report.exec_per_second = int(stats["average_exec_per_sec"])
    if "new_units_added" in stats:
        report.new_units = int(stats["new_units_added"])
    if "peak_rss_mb" in stats:
        report.peak_rss_mb = int(stats["peak_rss_mb"])


def run(
    seconds: int,
    work: Path,
    *,
    timeout: int = 20,
    rss_limit_mb: int = 2048,
    max_len: int = 65536,
) -> FuzzReport:
    """Fuzz for `seconds` in a subprocess; the corpus, crashes and log stay in `work`."""
    seed_dir, corpus_dir, crash_dir = work / "seeds", work / "corpus", work / "crashes"
    for folder in (seed_dir, corpus_dir, crash_dir):
        folder.mkdir(parents=True, exist_ok=True)
    for name, data in seeds().items():
        (seed_dir / name).write_bytes(data)
    dictionary = work / "images.dict"
    dictionary.write_text(
        "".join('"' + "".join(f"\\x{b:02x}" for b in token) + '"\n' for token in DICTIONARY)
    )
    before = {path.name for path in crash_dir.iterdir()}
    log = work / "atheris.log"
    command = [
        sys.executable, str(Path(__file__).resolve()), "--worker",
        f"-max_total_time={seconds}", f"-timeout={timeout}", f"-rss_limit_mb={rss_limit_mb}",
        f"-max_len={max_len}", f"-dict={dictionary}", f"-artifact_prefix={crash_dir}/",
        "-print_final_stats=1", str(corpus_dir), str(seed_dir),
    ]  # fmt: skip
    report = FuzzReport(seconds=seconds, wall_seconds=0.0, log=log)
    started = time.monotonic()
    with log.open("wb") as handle:
        # Our own interpreter and this very script: nothing here comes from outside.
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT
        )
        try:
            # Seeds are loaded before the clock starts, and instrumenting Pillow takes a while.
            report.exit_code = process.wait(timeout=seconds + timeout + 180)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            report.problems.append(f"the fuzzer did not stop after {seconds} s: killed")
    report.wall_seconds = time.monotonic() - started
    output = log.read_text(errors="replace")
    parse(output, report)
    report.crashes = sorted(
        path
        for path in crash_dir.iterdir()
        if path.name not in before and path.name.startswith(ARTIFACT_PREFIXES)
    )
    if report.crashes:
        KEPT_CRASHES.mkdir(parents=True, exist_ok=True)
        for path in report.crashes:
            shutil.copy(path, KEPT_CRASHES / path.name)
    if report.exit_code not in (0, None) or report.crashes:
        # libFuzzer prints an exception's message twice (above and below its traceback).
        found = dict.fromkeys(match.group(0) for match in _PROBLEM.finditer(output))
        report.problems.extend(found)
        if not report.problems:
            report.problems.append(f"the fuzzer exited with code {report.exit_code}")
    if report.executions is None and not report.problems:
        report.problems.append("the fuzzer ran no input (see its log)")
    return report


def print_report(report: FuzzReport) -> None:
    print(f"atheris: image handling, {report.seconds} s (wall {report.wall_seconds:.0f} s)")
    print(f"  executions:   {report.executions if report.executions is not None else '?'}")
    print(f"  coverage:     {report.figures() or '?'}")
    if report.new_units is not None:
        print(f"  new inputs:   {report.new_units} added to the corpus")
    print(f"  crashes:      {report.failures}")
    for path in report.crashes:
        print(f"    saved: {path} (and in {KEPT_CRASHES})")
    for problem in report.problems:
        print(f"    {problem}")
    if report.log is not None:
        print(f"  log:          {report.log}")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long to fuzz")
    parser.add_argument("--timeout", type=int, default=20, help="seconds before an input hangs")
    parser.add_argument("--rss-limit-mb", type=int, default=2048)
    parser.add_argument("--max-len", type=int, default=65536, help="largest input in bytes")
    parser.add_argument("--keep", type=Path, help="keep the work folder (corpus, crashes) here")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from verifykit import work_folder

    with work_folder("recognise_fuzz_", args.keep) as work:
        report = run(
            args.seconds,
            work,
            timeout=args.timeout,
            rss_limit_mb=args.rss_limit_mb,
            max_len=args.max_len,
        )
        print_report(report)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
