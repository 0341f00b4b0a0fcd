#!/usr/bin/env python3
"""Generate the demo courses' media: lecture videos, captions, PDFs and covers.

Run once by hand from the repository root (the application never runs it):

    python3 content/tools/make_media.py            # (re)generate everything
    python3 content/tools/make_media.py --check    # only measure what is there

It needs ffmpeg/ffprobe and the DejaVu fonts (Debian: ffmpeg, fonts-dejavu-core) and
nothing but the Python standard library. The videos are deliberately tiny placeholders
(a coloured card with the lecture title, a progress bar and a quiet tone, a few seconds
long): the courses' real substance is in the Markdown notes and readings. The output is
bit-exact so that re-running the script does not change the courses' sync hashes.

For every video the script also writes one WebVTT caption file whose cues are spread
over the measured duration, and it prints the durations that course.yaml must carry.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
import zlib
from pathlib import Path

CONTENT = Path(__file__).resolve().parent.parent
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

VIDEO_SECONDS = 8
VIDEO_SIZE = (426, 240)
VIDEO_FPS = 15
MAX_MEDIA_BYTES = 200 * 1024
MAX_COVER_BYTES = 100 * 1024

# --------------------------------------------------------------------------------------
# What to make. Each video: (file stem, lecture title, small label, caption cues).
# The caption cues summarise how the lecture opens; they are spread evenly over the
# video's real duration.
# --------------------------------------------------------------------------------------
COURSES: dict[str, dict] = {
    "smart-city-officials": {
        "title": "Smart City Policy for City Officials",
        "programme": "Smart City Capacity Building Programme",
        "colours": ("0x1d3557", "0x2a9d8f"),
        "videos": [
            (
                "w1-strategy",
                "Planning a metropolitan smart city strategy",
                "Week 1 · Lecture 1",
                [
                    "Welcome to week 1. We start with a simple question: what is a smart city strategy for?",
                    "A good strategy begins with the city's problems and goals, not with technology.",
                    "We will follow how a metropolitan government turns a vision into a funded portfolio.",
                ],
            ),
            (
                "w1-governance",
                "Governance, platforms and citizen participation",
                "Week 1 · Lecture 2",
                [
                    "In this lecture we look at who decides, who pays and who maintains smart city projects.",
                    "We compare governance models, from a chief digital officer to cross-department boards.",
                    "Then we turn to shared platforms and to the ways citizens take part.",
                ],
            ),
            (
                "w2-covid-data",
                "What the pandemic changed for city data",
                "Week 2 · Lecture 1",
                [
                    "Week 2 is about big data and the digital transformation that followed COVID-19.",
                    "During the pandemic, cities needed timely data on movement, services and need.",
                    "We ask which of those emergency practices should become everyday capabilities.",
                ],
            ),
            (
                "w2-analytics",
                "From data to decisions: analytics in city hall",
                "Week 2 · Lecture 2",
                [
                    "Data only matters when it changes a decision. This lecture follows that path.",
                    "We look at how cities frame a question, combine data sets and test the answer.",
                    "Examples include night bus routes and risk-based inspections.",
                ],
            ),
            (
                "w3-mobility",
                "Mobility and public space: Seoul TOPIS and Barcelona's superblocks",
                "Week 3 · Lecture 1",
                [
                    "Week 3 turns to case studies, starting with streets and mobility.",
                    "Seoul's TOPIS shows how a city can run transport from shared real-time data.",
                    "Barcelona's superblocks show that reclaiming street space is a policy choice.",
                ],
            ),
            (
                "w3-inclusion",
                "Inclusion, new towns and digital twins: Medellín, Songdo and Singapore",
                "Week 3 · Lecture 2",
                [
                    "Our second case lecture looks at three very different cities.",
                    "Medellín linked hillside neighbourhoods to the city with cable cars and public space.",
                    "Songdo and Virtual Singapore raise questions about planning from scratch and simulation.",
                ],
            ),
        ],
    },
    "youth-champions": {
        "title": "Smart Sustainable Cities: Youth Champions Certificate",
        "programme": "Youth Champions Certificate Programme",
        "colours": ("0x1b4332", "0x40916c"),
        "videos": [
            (
                "l1-global-context",
                "Global Context and Local Conditions of Sustainability",
                "Lecture 1",
                [
                    "Welcome, youth champions. Sustainability is agreed globally but delivered locally.",
                    "This lecture connects global frameworks such as the SDGs to a city's own conditions.",
                    "We ask what a young champion can do with that connection in their own city.",
                ],
            ),
            (
                "l2-metropolitan-century",
                "The Metropolitan Century",
                "Lecture 2",
                [
                    "Most people now live in urban areas, and many in large metropolitan regions.",
                    "Real cities rarely match administrative borders: people commute across them.",
                    "This lecture explores why metropolitan cooperation matters for sustainability.",
                ],
            ),
            (
                "l3-ecological-transition",
                "Tools and Cases for the Ecological Transition in Cities",
                "Lecture 3",
                [
                    "Cities are central to the ecological transition: energy, buildings, mobility and nature.",
                    "We review practical tools, from emissions inventories to climate budgets.",
                    "And we look at cases where cities turned plans into visible change.",
                ],
            ),
            (
                "l4-urban-inclusion",
                "Data for Urban Inclusion",
                "Lecture 4",
                [
                    "Averages can hide the people a city most needs to reach.",
                    "This lecture is about data that makes everyone visible, including informal settlements.",
                    "We also discuss the risks when data about vulnerable groups is misused.",
                ],
            ),
            (
                "l5-communicating",
                "Communicating Smart and Sustainable Cities",
                "Lecture 5",
                [
                    "A good project can still fail if people do not understand or trust it.",
                    "This lecture is about explaining smart and sustainable city ideas in plain language.",
                    "We look at audiences, messages, channels and listening back.",
                ],
            ),
            (
                "l6-measuring",
                "Measuring and Benchmarking Sustainable Smart Cities",
                "Lecture 6",
                [
                    "What gets measured gets attention, so choosing indicators is a political act.",
                    "We introduce international indicator sets and how cities use them to compare.",
                    "And we discuss how to benchmark fairly between very different cities.",
                ],
            ),
            (
                "l7-digital-twins",
                "Digital Twins and MetaCities",
                "Lecture 7",
                [
                    "A digital twin is a living digital model of a city, connected to real data.",
                    "We look at what twins are used for today, and at virtual city platforms.",
                    "The key question: who is the model for, and who gets to use it?",
                ],
            ),
            (
                "l8-resilient-cities",
                "Integrative, Inclusive, Resilient Cities",
                "Lecture 8",
                [
                    "Our final lecture brings the course together.",
                    "Resilient cities prepare for shocks and reduce everyday stresses at the same time.",
                    "That requires integrated planning and the inclusion of those most at risk.",
                ],
            ),
        ],
    },
    "digital-platform-training": {
        "title": "Digital Platforms for Smart Cities and Digital Government",
        "cover_title": (
            "Digital Platforms for Smart Cities and Digital Government: Joint Training Course"
        ),
        "programme": "Joint Training Course on Digital Platforms",
        "colours": ("0x22223b", "0x4a4e69"),
        "videos": [
            (
                "b1-urban-platforms",
                "What a city data platform is, and why it matters",
                "Block 1 · Lecture 1",
                [
                    "Welcome to the joint training course. Block 1 is about platforms in the smart city.",
                    "A platform lets many services share data and components instead of rebuilding them.",
                    "We start with what a city data platform does and what problems it solves.",
                ],
            ),
            (
                "b1-architecture",
                "Architecture, interoperability and open standards",
                "Block 1 · Lecture 2",
                [
                    "This lecture opens the box: the layers of an urban data platform.",
                    "We look at how data moves from sensors and systems to applications.",
                    "And why open standards and interfaces protect the city from lock-in.",
                ],
            ),
            (
                "b2-operations",
                "Operations platforms: mobility, safety and city services",
                "Block 2 · Lecture 1",
                [
                    "Block 2 turns to applications. We begin inside the city's operations.",
                    "Integrated operations centres combine transport, safety and service data.",
                    "We discuss what they do well and what they cannot do alone.",
                ],
            ),
            (
                "b2-citizen",
                "Citizen-facing platforms: reporting, participation and information",
                "Block 2 · Lecture 2",
                [
                    "Platforms also face outward, towards residents.",
                    "We look at issue reporting apps, participation platforms and open information.",
                    "The test of each is whether people use it and see a response.",
                ],
            ),
            (
                "b3-government-platform",
                "From e-government to government as a platform",
                "Block 3 · Lecture 1",
                [
                    "Block 3 moves from the city's streets to the machinery of government.",
                    "Early e-government put forms online; platforms change how services are built.",
                    "We trace that shift and what it asks of public organisations.",
                ],
            ),
            (
                "b3-building-blocks",
                "Shared building blocks: identity, data exchange, payments and notifications",
                "Block 3 · Lecture 2",
                [
                    "Most government services need the same few things.",
                    "Identity, data exchange, payments and notifications can be built once and reused.",
                    "We look at how these building blocks work and who should own them.",
                ],
            ),
            (
                "b4-service-design",
                "Designing services people can use",
                "Block 4 · Lecture 1",
                [
                    "Block 4 is about the road to real applications.",
                    "We start with the people who use public services, and their whole journey.",
                    "Good platforms only matter if the services built on them are easy to use.",
                ],
            ),
            (
                "b4-roadmap",
                "A roadmap for platform-based digital government",
                "Block 4 · Lecture 2",
                [
                    "In our final lecture we put the pieces into a roadmap.",
                    "We cover sequencing, funding, procurement, skills and measuring progress.",
                    "And we end with the first steps your organisation could take next year.",
                ],
            ),
        ],
    },
}

# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def say(line: str) -> None:
    sys.stdout.write(line + "\n")


def run(cmd: list[str]) -> str:
    # Only fixed tool names and arguments built by this script: no untrusted input.
    result = subprocess.run(cmd, check=True, capture_output=True, text=True)  # noqa: S603
    return result.stdout


def probe_duration(path: Path) -> float:
    out = run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)]
    )
    return float(json.loads(out)["format"]["duration"])


def vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def write_vtt(path: Path, cues: list[str], duration: float) -> None:
    """One cue per sentence, spread evenly, all inside [0, duration]."""
    step = duration / len(cues)
    lines = ["WEBVTT", ""]
    for i, text in enumerate(cues):
        start = i * step + (0.2 if i == 0 else 0.0)
        end = min((i + 1) * step - 0.1, duration - 0.1)
        lines += [
            str(i + 1),
            f"{vtt_time(start)} --> {vtt_time(end)}",
            *textwrap.wrap(text, 42),
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


def drawtext(textfile: Path, font: Path, size: int, y: str, colour: str = "white") -> str:
    return (
        f"drawtext=fontfile={font}:textfile={textfile}:expansion=none:"
        f"fontsize={size}:fontcolor={colour}:x=(w-text_w)/2:y={y}"
    )


def make_video(
    out: Path, title: str, label: str, course_title: str, colour: str, tmp: Path
) -> None:
    w, h = VIDEO_SIZE
    d = VIDEO_SECONDS
    files = {}

    def textfile(name: str, text: str) -> Path:
        p = tmp / f"{out.stem}-{name}.txt"
        p.write_text(text, encoding="utf-8")
        files[name] = p
        return p

    title_lines = textwrap.wrap(title, 30)
    line_h = 25
    top = (h - line_h * len(title_lines)) // 2 - 4
    filters = [
        "drawbox=x=0:y=0:w=iw:h=26:color=black@0.25:t=fill",
        drawtext(textfile("course", course_title), FONT, 11, "8", "white@0.85"),
    ]
    for i, line in enumerate(title_lines):
        filters.append(drawtext(textfile(f"title{i}", line), FONT_BOLD, 19, str(top + i * line_h)))
    filters += [
        drawtext(textfile("label", label), FONT, 13, str(h - 40), "white@0.85"),
        f"fade=t=in:st=0:d=0.6,fade=t=out:st={d - 0.6}:d=0.6",
    ]
    graph = (
        f"[0:v]{','.join(filters)}[card];"
        f"[card][1:v]overlay=x='-w+w*t/{d}':y=H-4:eval=frame,format=yuv420p[v];"
        f"[2:a]volume=0.05,afade=t=in:st=0:d=1,afade=t=out:st={d - 1}:d=1[a]"
    )
    run(
        [
            "ffmpeg",
            "-y",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"color=c={colour}:s={w}x{h}:r={VIDEO_FPS}:d={d}",
            "-f",
            "lavfi",
            "-i",
            f"color=c=white@0.9:s={w}x4:r={VIDEO_FPS}:d={d}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=220:sample_rate=48000:duration={d}",
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-map",
            "[a]",
            "-c:v",
            "libvpx-vp9",
            "-b:v",
            "0",
            "-crf",
            "42",
            "-deadline",
            "good",
            "-cpu-used",
            "2",
            "-row-mt",
            "0",
            "-threads",
            "1",
            "-g",
            "150",
            "-c:a",
            "libopus",
            "-b:a",
            "20k",
            "-ac",
            "1",
            "-t",
            str(d),
            "-fflags",
            "+bitexact",
            "-flags:v",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            str(out),
        ]
    )


def make_cover(out: Path, title: str, programme: str, colours: tuple[str, str], tmp: Path) -> None:
    w, h = 640, 360
    lines = textwrap.wrap(title, 28)
    line_h = 40
    top = (h - line_h * len(lines)) // 2 - 20
    filters = []
    for i, line in enumerate(lines):
        p = tmp / f"cover-{out.parent.name}-{i}.txt"
        p.write_text(line, encoding="utf-8")
        filters.append(drawtext(p, FONT_BOLD, 32, str(top + i * line_h)))
    p = tmp / f"cover-{out.parent.name}-programme.txt"
    p.write_text(programme, encoding="utf-8")
    filters.append(drawtext(p, FONT, 17, str(h - 56), "white@0.9"))
    filters.append("drawbox=x=40:y=ih-70:w=iw-80:h=2:color=white@0.6:t=fill")
    filters.append("format=rgb24")
    run(
        [
            "ffmpeg",
            "-y",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"gradients=s={w}x{h}:c0={colours[0]}:c1={colours[1]}:x0=0:y0=0:x1={w}:y1={h}"
            f":nb_colors=2:speed=0.00001:seed=1:d=1",
            "-vf",
            ",".join(filters),
            "-frames:v",
            "1",
            "-compression_level",
            "9",
            "-fflags",
            "+bitexact",
            "-flags:v",
            "+bitexact",
            str(out),
        ]
    )


# --------------------------------------------------------------------------------------
# A minimal PDF writer (standard library only): Helvetica text, lines and rectangles.
# --------------------------------------------------------------------------------------


def pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252")  # WinAnsiEncoding is cp1252 for every character we use
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def rgb(hex_colour: str) -> str:
    v = hex_colour.removeprefix("0x").removeprefix("#")
    return " ".join(f"{int(v[i : i + 2], 16) / 255:.3f}" for i in (0, 2, 4))


class Page:
    """Drawing commands for one page; coordinates measured from the top-left corner."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.ops: list[bytes] = []

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float = 11,
        bold: bool = False,
        colour: str = "0x222222",
    ) -> None:
        font = b"/F2" if bold else b"/F1"
        self.ops.append(
            b"BT %s rg %s %.1f Tf %.1f %.1f Td %s Tj ET"
            % (rgb(colour).encode(), font, size, x, self.height - y, pdf_string(text))
        )

    def paragraph(
        self,
        x: float,
        y: float,
        text: str,
        width: float,
        size: float = 11,
        bold: bool = False,
        colour: str = "0x222222",
        leading: float = 1.4,
    ) -> float:
        """Wrap text to width (Helvetica averages about half an em per character)."""
        chars = max(10, int(width / (size * (0.56 if bold else 0.5))))
        for line in textwrap.wrap(text, chars):
            self.text(x, y, line, size, bold, colour)
            y += size * leading
        return y

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        fill: str | None = None,
        stroke: str | None = "0x888888",
        line_width: float = 0.6,
    ) -> None:
        ops = [b"q", b"%.2f w" % line_width]
        if fill:
            ops.append(f"{rgb(fill)} rg".encode())
        if stroke:
            ops.append(f"{rgb(stroke)} RG".encode())
        paint = b"B" if fill and stroke else (b"f" if fill else b"S")
        ops.append(b"%.1f %.1f %.1f %.1f re %s" % (x, self.height - y - h, w, h, paint))
        ops.append(b"Q")
        self.ops.append(b" ".join(ops))

    def line(self, x1: float, y1: float, x2: float, y2: float, colour: str = "0xaaaaaa") -> None:
        self.ops.append(
            b"q 0.5 w %s RG %.1f %.1f m %.1f %.1f l S Q"
            % (rgb(colour).encode(), x1, self.height - y1, x2, self.height - y2)
        )

    def stream(self) -> bytes:
        return b"\n".join(self.ops) + b"\n"


def write_pdf(path: Path, pages: list[Page], title: str, subject: str) -> None:
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    pages_obj = add(b"")
    f1 = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    f2 = add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    )
    info = add(
        b"<< /Title %s /Subject %s /Author (CapaCity editorial team) "
        b"/Producer (content/tools/make_media.py) >>" % (pdf_string(title), pdf_string(subject))
    )
    kids = []
    for page in pages:
        data = zlib.compress(page.stream(), 9)
        content = add(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data)
        )
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] "
                b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_obj, page.width, page.height, f1, f2, content)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    objects[pages_obj - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        info,
        xref,
    )
    path.write_bytes(bytes(out))


def worksheet_pdf(path: Path) -> None:
    """Week 2 worksheet of the officials' course: a data inventory and a use-case canvas."""
    accent = "0x1d3557"
    W, H, M = 595, 842, 50
    footer = "Smart City Capacity Building Programme  -  Week 2 worksheet  -  page {} of 2"

    p1 = Page(W, H)
    p1.rect(0, 0, W, 70, fill=accent, stroke=None)
    p1.text(M, 26, "Smart City Policy for City Officials", 10, colour="0xdddddd")
    p1.text(
        M, 52, "Week 2 worksheet: city data inventory and use-case canvas", 17, True, "0xffffff"
    )
    y = p1.paragraph(
        M,
        100,
        (
            "Complete this worksheet as a city team before the end of week 2. Part A lists the data your "
            "city already holds for one policy area you care about. Part B turns one real decision into "
            "a data use case. Part C prepares the discussion for your action plan. Keep answers short: "
            "this is a thinking tool, not a report."
        ),
        W - 2 * M,
    )
    y = p1.paragraph(M, y + 12, "Part A - Data inventory", W - 2 * M, 13, True, accent)
    y = p1.paragraph(
        M,
        y,
        (
            "Policy area chosen (for example night-time mobility, street cleaning, elderly care, "
            "flood risk): ______________________________________________"
        ),
        W - 2 * M,
        10,
    )
    cols = [
        ("Data set", 105),
        ("Owner (department)", 85),
        ("Updated how often?", 70),
        ("Format and access", 80),
        ("Personal data?", 60),
        ("Quality notes", 95),
    ]
    y += 8
    x = M
    for name, width in cols:
        p1.rect(x, y, width, 30, fill="0xe9eef5")
        p1.paragraph(x + 4, y + 12, name, width - 6, 8.5, True, leading=1.2)
        x += width
    y += 30
    for _ in range(12):
        x = M
        for _, width in cols:
            p1.rect(x, y, width, 32)
            x += width
        y += 32
    p1.paragraph(
        M,
        y + 18,
        (
            "Tip: include data held by contractors, utilities and transport operators, and ask who "
            "could legally share it with whom."
        ),
        W - 2 * M,
        9,
        colour="0x555555",
    )
    p1.text(M, H - 30, footer.format(1), 8, colour="0x777777")

    p2 = Page(W, H)
    p2.rect(0, 0, W, 40, fill=accent, stroke=None)
    p2.text(M, 26, "Week 2 worksheet (continued)", 12, True, "0xffffff")
    y = p2.paragraph(M, 70, "Part B - Use-case canvas", W - 2 * M, 13, True, accent)
    boxes = [
        ("1. The decision", "Which recurring decision would better data improve? Who makes it?"),
        ("2. Today's practice", "How is the decision made now? What goes wrong or is slow?"),
        ("3. Data needed", "Which data sets from Part A help? What is missing?"),
        ("4. Risks", "Privacy, bias, security, public trust: what could go wrong, for whom?"),
        (
            "5. People and partners",
            "Departments, analysts, vendors, residents who must be involved.",
        ),
        ("6. A first test", "What can be tried within 90 days with data you already have?"),
        ("7. Evidence of success", "What would show that the decision improved?"),
        ("8. Scaling up", "If the test works, what budget, rules or skills are needed next?"),
    ]
    bw, bh = (W - 2 * M - 10) / 2, 118
    for i, (head, prompt) in enumerate(boxes):
        bx = M + (i % 2) * (bw + 10)
        by = y + 4 + (i // 2) * (bh + 8)
        p2.rect(bx, by, bw, bh)
        p2.text(bx + 8, by + 16, head, 10.5, True, accent)
        p2.paragraph(bx + 8, by + 30, prompt, bw - 16, 8.5, colour="0x666666", leading=1.3)
    y = y + 4 + 4 * (bh + 8) + 16
    y = p2.paragraph(M, y, "Part C - Team reflection", W - 2 * M, 13, True, accent)
    for q in (
        "Which use case belongs in your city's action plan, and why this one?",
        "Who in your administration must agree before the first test can start?",
    ):
        y = p2.paragraph(M, y + 2, q, W - 2 * M, 10)
        for _ in range(2):
            y += 18
            p2.line(M, y, W - M, y)
        y += 16
    p2.text(M, H - 30, footer.format(2), 8, colour="0x777777")
    write_pdf(
        path,
        [p1, p2],
        "Week 2 worksheet: city data inventory and use-case canvas",
        "Smart City Policy for City Officials",
    )


def slides_pdf(path: Path) -> None:
    """Week 1 slides of the officials' course (16:9 pages)."""
    accent, light = "0x1d3557", "0xe9eef5"
    W, H, M = 960, 540, 60
    slides: list[Page] = []

    def slide(title: str) -> Page:
        p = Page(W, H)
        p.rect(0, 0, W, 84, fill=accent, stroke=None)
        p.text(M, 54, title, 26, True, "0xffffff")
        p.text(
            M,
            H - 24,
            f"Smart City Policy for City Officials  -  Week 1  -  slide {len(slides) + 1}",
            10,
            colour="0x777777",
        )
        slides.append(p)
        return p

    def bullets(p: Page, items: list[str], y: float = 130, size: float = 19) -> None:
        for item in items:
            p.text(M, y, "\u2022", size, True, accent)
            y = p.paragraph(M + 24, y, item, W - 2 * M - 24, size, leading=1.35) + 12

    p = Page(W, H)
    p.rect(0, 0, W, H, fill=accent, stroke=None)
    p.text(M, 190, "Planning and governing", 40, True, "0xffffff")
    p.text(M, 240, "smart city initiatives", 40, True, "0xffffff")
    p.text(M, 300, "Week 1 - Smart City Policy for City Officials", 18, colour="0xdddddd")
    p.rect(M, 330, 300, 2, fill="0x2a9d8f", stroke=None)
    p.text(M, 470, "Smart City Capacity Building Programme", 14, colour="0xdddddd")
    slides.append(p)

    bullets(
        slide("Why a strategy, not a shopping list"),
        [
            "Technology pilots without a shared purpose rarely scale or survive a change of leadership.",
            "A strategy links city goals (safety, climate, ageing, jobs) to a portfolio of initiatives.",
            "It tells departments, vendors and residents what the city will and will not do.",
            "It sets rules once - data, security, procurement, evaluation - instead of per project.",
        ],
    )

    p = slide("Four building blocks of a city programme")
    blocks = [
        ("Strategy", "Vision, priority problems, a portfolio and a roadmap with a budget."),
        ("Governance", "Who decides, funds, delivers and maintains; rules for data."),
        ("Platforms", "Shared data, networks and services reused by many projects."),
        ("Participation", "Residents and businesses shape, test and judge the results."),
    ]
    bw = (W - 2 * M - 3 * 16) / 4
    for i, (head, body) in enumerate(blocks):
        x = M + i * (bw + 16)
        p.rect(x, 140, bw, 250, fill=light, stroke=None)
        p.text(x + 16, 180, head, 20, True, accent)
        p.paragraph(x + 16, 220, body, bw - 32, 15, leading=1.4)

    p = slide("From vision to portfolio")
    steps = [
        "Vision",
        "Priority challenges",
        "Portfolio of initiatives",
        "Roadmap and budget",
        "Evaluation",
    ]
    bw = (W - 2 * M - 4 * 22) / 5
    for i, step in enumerate(steps):
        x = M + i * (bw + 22)
        p.rect(x, 170, bw, 110, fill=light, stroke=None)
        p.paragraph(x + 12, 215, step, bw - 24, 16, True, accent, 1.3)
        if i < len(steps) - 1:
            p.text(x + bw + 5, 232, ">", 20, True, accent)
    p.paragraph(
        M,
        340,
        (
            "Each step narrows the field: start from a small number of problems residents recognise, "
            "and let evaluation feed back into the next budget cycle."
        ),
        W - 2 * M,
        17,
    )

    bullets(
        slide("Governance choices"),
        [
            "A lead unit (for example a chief digital or data officer) with a mandate across departments.",
            "A steering board where sector departments share priorities and budgets.",
            "Common rules: data sharing, cybersecurity, privacy, open standards, procurement.",
            "Partnerships with universities, companies and neighbouring cities - with clear exit terms.",
        ],
    )

    bullets(
        slide("This week for your action plan"),
        [
            "Name the two or three city problems your team most wants to address.",
            "Map who would own, fund and maintain a solution in your administration.",
            "Note one platform or data set you could reuse rather than build.",
            "Bring these notes to week 2, where we add data and evidence.",
        ],
    )
    write_pdf(
        path,
        slides,
        "Planning and governing smart city initiatives (week 1 slides)",
        "Smart City Policy for City Officials",
    )


# --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only measure existing media")
    args = parser.parse_args()
    for tool in ("ffmpeg", "ffprobe"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is required")
    if not FONT_BOLD.exists():
        sys.exit(f"font not found: {FONT_BOLD} (install fonts-dejavu-core)")

    problems = []
    total = 0
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for slug, course in COURSES.items():
            folder = CONTENT / slug
            media = folder / "media"
            media.mkdir(parents=True, exist_ok=True)
            if not args.check:
                make_cover(
                    folder / "cover.png",
                    course.get("cover_title", course["title"]),
                    course["programme"],
                    course["colours"],
                    tmp,
                )
                if slug == "smart-city-officials":
                    worksheet_pdf(media / "w2-worksheet.pdf")
                    slides_pdf(media / "w1-slides.pdf")
            say(f"{slug}:")
            for stem, title, label, cues in course["videos"]:
                video = media / f"{stem}.webm"
                if not args.check:
                    make_video(video, title, label, course["title"], course["colours"][0], tmp)
                duration = probe_duration(video)
                if not args.check:
                    write_vtt(media / f"{stem}.en.vtt", cues, duration)
                size = video.stat().st_size
                say(f"  {video.name:32} {duration:5.1f} s  {size / 1024:6.1f} KB")
                if size > MAX_MEDIA_BYTES:
                    problems.append(f"{video} is {size} bytes")
            cover = folder / "cover.png"
            if cover.stat().st_size > MAX_COVER_BYTES:
                problems.append(f"{cover} is {cover.stat().st_size} bytes")
            total += sum(
                p.stat().st_size
                for p in folder.rglob("*")
                if p.is_file() and p.suffix in {".webm", ".mp4", ".vtt", ".pdf", ".png"}
            )
    say(f"total media: {total / 1024:.1f} KB")
    for problem in problems:
        sys.stderr.write(f"PROBLEM: {problem}\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
