"""How long one printed record (A4 PDF, CJK subset embedded) takes to build, and its peak memory.

    .venv/bin/python bench/record_pdf.py --records 50 [--signed]

The builder is pure (typed data in, bytes out): no database, no app; a 30-item canteen record with
two failed items, an order and the QR code, as the demo produces; `--signed` adds the operator's
signature as a phone sends it (a 656×360 PNG drawn on the canvas).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=50)
    parser.add_argument("--signed", action="store_true", help="with the operator's signature image")
    args = parser.parse_args()
    font = find_font()
    if font is None:
        sys.exit("no CJK font (apt-get install fonts-wqy-microhei)")
    build_record_pdf(sample(0, args.signed), font)  # warm: font parsing caches
    tracemalloc.start()
    build_record_pdf(sample(1, args.signed), font)
    peak_one = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    times, sizes = [], []
    started = time.perf_counter()
    for n in range(args.records):
        t0 = time.perf_counter()
        sizes.append(len(build_record_pdf(sample(n, args.signed), font)))
        times.append((time.perf_counter() - t0) * 1000)
    total = time.perf_counter() - started
    print(f"records: {args.records}{' signed' if args.signed else ''}  font: {font}")
    print(f"per record: median {statistics.median(times):.0f} ms, max {max(times):.0f} ms, "
          f"size {statistics.median(sizes) / 1024:.0f} KiB")
    print(f"peak Python memory for one record: {peak_one / 2**20:.1f} MiB")
    print(f"batch: {total:.1f} s for {args.records} → {total / args.records * 1000:.0f} ms each, "
          f"{total / args.records * 1000:.0f} s per 1,000 (extrapolated)")


if __name__ == "__main__":
    main()
