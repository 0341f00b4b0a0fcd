"""Certificate rendering: the PNG (with the credential baked in) and the PDF of one certificate.

In-process, warm (fonts parsed once per process, as in a long-lived worker); every certificate
is a new view (holder, code and URL differ), so nothing is reused between certificates but the
fonts. Run: ``python -m bench.certificates_render``. Budget: issue + sign + render under
100 ms per certificate, so rendering both must stay well under that.
"""

from __future__ import annotations

import statistics
import time
import uuid

from learning.certificates.render import (
    CertificateLabels,
    CertificateView,
    render_pdf,
    render_png,
)

LABELS = CertificateLabels(
    title="Certificate of Completion",
    certifies="This certifies that",
    completed="has successfully completed the course",
    programme="Programme",
    hours="Learning hours",
    issued="Issued",
    code="Certificate code",
    verify="Verify at",
)
NAMES = {
    "latin": ["Zoë Ångström-Núñez", "Nguyễn Thị Phương", "Jean-Baptiste Dupont"],
    "cyrillic/greek": ["Алексей Щукин", "Αλέξανδρος Παπαδόπουλος"],
    "arabic": ["محمد علي", "پرویز گلچین"],
    "devanagari": ["प्रियंका श्रीवास्तव", "राहुल शर्मा"],
    "hangul/cjk": ["김민준", "山田 はなこ", "王小明"],
}
JWT = "eyJhbGciOiJSUzI1NiJ9." + "eyJ" + "A" * 2400 + ".c2lnbmF0dXJl" + "B" * 330
ROUNDS = 12


def view(name: str) -> CertificateView:
    ident = uuid.uuid4()
    return CertificateView(
        holder_name=name,
        course_title="Climate-Resilient Streets: Planning for Heat and Flood",
        programme="Urban Youth Champions 2026",
        hours="12",
        issued_on="6 December 2026",
        issuer_name="CapaCity — City Learning Network",
        signatory_name="Ana Pérez Núñez",
        signatory_title="Programme Director",
        code=ident.hex[:12].upper(),
        verification_url=f"https://capacity.example.org/verify/{ident}",
        labels=LABELS,
        language="en",
    )


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"median {1000 * statistics.median(values):6.1f} ms  p95 {1000 * p95:6.1f} ms"


def main() -> None:
    for names in NAMES.values():  # warm: parse every face once, as a worker does
        render_png(view(names[0]), credential_jwt=JWT)
        render_pdf(view(names[0]))
    print(f"Certificate rendering, warm process, {ROUNDS} certificates per script group")
    print("(wall clock; CPU time of this process in brackets, steadier on a shared machine)")
    everything: list[float] = []
    for group, names in NAMES.items():
        png_t, pdf_t, both, cpu = [], [], [], []
        for i in range(ROUNDS):
            v = view(names[i % len(names)])
            cpu_start, start = time.process_time(), time.perf_counter()
            render_png(v, credential_jwt=JWT)
            middle = time.perf_counter()
            render_pdf(v)
            end, cpu_end = time.perf_counter(), time.process_time()
            png_t.append(middle - start)
            pdf_t.append(end - middle)
            both.append(end - start)
            cpu.append(cpu_end - cpu_start)
        everything += both
        print(
            f"  {group:15} PNG {ms(png_t)}   PDF {ms(pdf_t)}   both {ms(both)}"
            f"   [CPU median {1000 * statistics.median(cpu):.1f} ms]"
        )
    print(f"  {'all':15} both {ms(everything)}   (budget: issue + sign + render < 100 ms)")


if __name__ == "__main__":
    main()
