"""How long one printed record (A4 PDF, CJK subset embedded) takes to build, its peak memory, and
a batch of N records: the font parsed on every record (before) beside parsed once per process (now).

    .venv/bin/python bench/record_pdf.py --records 1000 [--signed] [--batch before,after]

The builder is pure (typed data in, bytes out): no database, no app; a 30-item canteen record with
two failed items, an order and the QR code, as the demo produces; `--signed` adds the operator's
signature as a phone sends it (a 656×360 PNG drawn on the canvas).

Per record: `--sample` builds of each kind, alternated in one process so both see the same load;
median ms and the tracemalloc peak of one warm build. Batch: each kind in a fresh child process
(so its peak RSS is its own): total seconds, records/s, RSS after the first record and at the end.
"before" is fpdf2's own add_font on every record (exports.inspection_record._prepared_font off).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw  # noqa: E402

from exports import inspection_record  # noqa: E402
from exports.inspection_record import (  # noqa: E402
    RecordData,
    RecordItem,
    SignatureData,
    build_record_pdf,
    find_font,
)
from forms import forms  # noqa: E402


def phone_signature() -> bytes:
    """Strokes on a transparent 328×180 CSS px canvas at twice its size, as the phone exports it."""
    image = Image.new("RGBA", (656, 360), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for offset in range(0, 480, 60):
        draw.line([(40 + offset, 300), (70 + offset, 80), (100 + offset, 280), (130 + offset, 120)],
                  fill=(17, 17, 17, 255), width=5)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


SIGNATURE = SignatureData(state="signed", label="已签名", image=phone_signature(), note=None,
                          received_at="2026年11月30日 10:05", width=656, height=360)


def sample(n: int, signed: bool = False) -> RecordData:
    definition = forms.for_unit("canteen", "JY35101040000016")
    items = [RecordItem(code, item.text, item.key, "否" if code in ("6.1", "9.2") else "是",
                        "索证索票不全" if code == "6.1" else None)
             for code, item in definition.items.items()]
    return RecordData(
        authority="成都市锦江区市场监督管理局", title=definition.title,
        number=f"00000000-0000-4000-8000-{n:012d}", unit_name=f"锦江区第{n}实验小学食堂",
        unit_address="成都市锦江区东大街 1 号", licence_no="JY35101040000016", unit_kind="学校食堂",
        started_at="2026年11月30日 09:30", inspectors=[("张三", "川执0099881"), ("李四", "川执0099882")],
        items=items, problems=["6.1 索证索票不全（原料进货查验把关不严格）",
                               "9.2 消毒设施未运转（餐具用具清洗消毒不彻底）"],
        result="基本符合", items_checked=len(items), key_items_checked=sum(i.key for i in items),
        key_items_failed=1, problems_found=2,
        handling="书面限期整改", order_number=f"锦市监责改〔2026〕{n}号", order_deadline="2026年12月08日",
        publication="检查结果将于 20 个工作日内公开。", revision=1,
        verify_url=f"https://example.invalid/verify/{'x' * 22}",
        signature=SIGNATURE if signed else None)


KINDS = {"before": "font parsed on every record", "after": "font parsed once per process"}


def use(kind: str) -> None:
    """Build the next records the old way (fpdf2's add_font each time) or with the shared font."""
    inspection_record._prepared_font = (lambda path: None) if kind == "before" else PREPARED


PREPARED = inspection_record._prepared_font


def rss_mib(field: str = "VmRSS") -> float:
    """This process's RSS now, or its peak (VmHWM: unlike ru_maxrss, not inherited from the
    parent that started it)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


def batch(kind: str, records: int, signed: bool, font: Path) -> dict:
    """N records one after another in this (fresh) process; the first one is the cold build."""
    use(kind)
    times = []
    started = time.perf_counter()
    for n in range(records):
        t0 = time.perf_counter()
        build_record_pdf(sample(n, signed), font)
        times.append((time.perf_counter() - t0) * 1000)
        if n == 0:
            rss_first = rss_mib()
    total = time.perf_counter() - started
    return {"kind": kind, "records": records, "total_s": total, "first_ms": times[0],
            "median_ms": statistics.median(times[1:] or times), "rss_first_mib": rss_first,
            "rss_end_mib": rss_mib(), "peak_rss_mib": rss_mib("VmHWM")}


def per_record(sample_size: int, signed: bool, font: Path) -> dict[str, dict]:
    figures = {kind: {"times": [], "peak": 0} for kind in KINDS}
    use("after")
    build_record_pdf(sample(0, signed), font)  # the shared font's one parse, outside the figures
    for kind in KINDS:  # tracemalloc slows builds: its own warm build per kind
        use(kind)
        tracemalloc.start()
        build_record_pdf(sample(1, signed), font)
        figures[kind]["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    for n in range(sample_size):
        for kind in (KINDS if n % 2 else reversed(KINDS)):
            use(kind)
            t0 = time.perf_counter()
            build_record_pdf(sample(n, signed), font)
            figures[kind]["times"].append((time.perf_counter() - t0) * 1000)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=50, help="records in the batch")
    parser.add_argument("--signed", action="store_true", help="with the operator's signature image")
    parser.add_argument("--sample", type=int, default=15, help="builds of each kind, per record")
    parser.add_argument("--batch", default="after",
                        help="kinds to run the batch for: before, after or before,after")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    font = find_font()
    if font is None:
        sys.exit("no CJK font (apt-get install fonts-wqy-microhei)")
    if args.child:
        print(json.dumps(batch(args.child, args.records, args.signed, font)))
        return

    size = len(build_record_pdf(sample(0, args.signed), font))
    print(f"record: {size / 1024:.0f} KiB{', signed' if args.signed else ''}; font: {font}")
    figures = per_record(args.sample, args.signed, font)
    print(f"per record (median of {args.sample}, alternated; peak = tracemalloc, one warm build):")
    for kind, label in KINDS.items():
        times = figures[kind]["times"]
        print(f"  {kind:6} {label:30} median {statistics.median(times):5.0f} ms  "
              f"min {min(times):5.0f} ms  peak {figures[kind]['peak'] / 2**20:5.1f} MiB")

    kinds = [kind.strip() for kind in args.batch.split(",") if kind.strip()]
    print(f"batch of {args.records:,} records, each kind in a fresh process:")
    for kind in kinds:
        command = [sys.executable, __file__, "--child", kind, "--records", str(args.records)]
        result = json.loads(subprocess.run(command + (["--signed"] if args.signed else []),
                                           check=True, capture_output=True, text=True).stdout)
        print(f"  {kind:6} {KINDS[kind]:30} {result['total_s']:7.1f} s  "
              f"{args.records / result['total_s']:5.2f} records/s  "
              f"first {result['first_ms']:5.0f} ms, then median {result['median_ms']:4.0f} ms  "
              f"RSS {result['rss_first_mib']:.0f} MiB after the first, {result['rss_end_mib']:.0f} "
              f"at the end, peak {result['peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
