"""Hostile uploads and imports, before and after their bounds: one command, figures side by side.

    .venv/bin/python bench/hostile_bench.py [--before-timeout 120]

Generates each hostile file, then measures it twice, each time in a fresh subprocess so that
peak memory belongs to that one run:

  before  the code path as it was (bench/hostile_reference.py: the photo pipeline in the web
          worker, the reader's old row loop, the annotated copy made in full mode)
  after   the app's path now: photos through foodsafety.photos.sandbox (a bounded child, the
          default limits of config.Config), workbooks through read_workbook / annotate

For annotated=true both sides measure the response to a rejected import without its planning
(database) step: the import's reading of the file, then the error copy.

CPU: seconds of the measuring process, plus, after, those the photo took in its child process
(from the forkserver's reaped-children time when the child was stopped at a limit). Memory:
growth of the peak RSS over the RSS before the run (Linux VmHWM, reset through
/proc/self/clear_refs); after, for photos, the web worker's growth and the child's growth are
shown apart (the child gives its memory back when it exits or is recycled). A `before`
run still going after --before-timeout seconds is stopped and shown as "> N".
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
import unicodedata
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# --- the hostile files ----------------------------------------------------------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def rgba_png(width: int, height: int) -> bytes:
    """A fully transparent 8-bit RGBA PNG, built row block by row block (never held whole)."""
    row = b"\0" * (1 + 4 * width)
    packer = zlib.compressobj(9)
    parts = [packer.compress(row * 100) for _ in range(height // 100)]
    parts += [packer.compress(row * (height % 100)), packer.flush()]
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(parts))
            + _chunk(b"IEND", b""))


def scan_bomb(side: int = 6324, repeats: int = 3_500) -> bytes:
    """A grey progressive JPEG whose second scan (a 64-byte AC scan of EOB runs) is repeated:
    each repeat walks all 625,000 blocks again. The outside probe's file had 10,000 repeats."""
    from PIL import Image

    from foodsafety.photos.jpeg import count_scans

    out = io.BytesIO()
    Image.new("L", (side, side), 128).save(out, "JPEG", progressive=True, quality=90)
    data = out.getvalue()
    starts = [i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xDA]
    assert count_scans(data) == len(starts)  # Pillow's file: no thumbnail, no stray SOS bytes
    return data[:-2] + data[starts[1]:starts[2]] * repeats + data[-2:]


def big_webp(side: int = 6324) -> bytes:
    """A 40-megapixel lossy WebP of smooth detail (a few MB)."""
    from PIL import Image

    size = (side, side)
    image = Image.merge("RGB", (Image.linear_gradient("L").resize(size),
                                Image.effect_mandelbrot(size, (-2.2, -1.2, 1.0, 1.2), 60),
                                Image.radial_gradient("L").resize(size)))
    out = io.BytesIO()
    image.save(out, "WEBP", quality=80, method=0)
    return out.getvalue()


def _with_sheet_xml(data: bytes, member: str, edit) -> bytes:
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            target.writestr(item, edit(content.decode()) if item.filename == member else content)
    return rebuilt.getvalue()


def _template_with(edit) -> bytes:
    from foodsafety.imports.template import build_template

    return _with_sheet_xml(build_template(), "xl/worksheets/sheet2.xml", edit)  # 学校


def xfd_blank_workbook(rows: int = 40_000) -> bytes:
    """The template whose 学校 sheet has `rows` rows holding only an empty cell at XFD."""
    extra = "".join(f'<row r="{n}"><c r="XFD{n}"/></row>' for n in range(3, rows + 3))
    return _template_with(lambda xml: xml.replace("</sheetData>", extra + "</sheetData>"))


def wide_row_workbook(cells: int = 3_000_000) -> bytes:
    """The template with one row of `cells` empty cells (a few tens of kB)."""
    extra = '<row r="3">' + "<c/>" * cells + "</row>"
    return _template_with(lambda xml: xml.replace("</sheetData>", extra + "</sheetData>"))


def junk_workbook(elements: int = 3_000_000) -> bytes:
    """The template with `elements` empty unknown elements before the 学校 sheet's data."""
    return _template_with(lambda xml: xml.replace("<sheetData>", "<x/>" * elements + "<sheetData>"))


def big_rejected_workbook(rows: int = 50_000, seed: int = 7) -> bytes:
    """About 10 MB: 学校 and 单位 sheets of `rows` rows each, every row with one bad cell."""
    from openpyxl import Workbook

    from foodsafety.imports.template import SCHOOLS, UNITS

    rng = random.Random(seed)
    letters = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 3000))

    def text(n: int) -> str:
        return "".join(rng.choice(letters) for _ in range(n))

    workbook = Workbook(write_only=True)
    schools = workbook.create_sheet(SCHOOLS.title)
    schools.append([c.header for c in SCHOOLS.columns])
    for i in range(rows):
        schools.append([f"{text(8)}学校{i}", "大学", "510104", None, f"{text(20)}路{i}号"])
    units = workbook.create_sheet(UNITS.title)
    units.append([c.header for c in UNITS.columns])
    for i in range(rows):
        units.append(["食堂", f"{text(10)}食堂{i}", "510104", text(8), None, "自营", text(24), None,
                      f"JY{rng.randrange(10**14):014d}", "2024-01-01", "2029-01-01", "是", "未建立",
                      None, "透明式"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def problems_of(data: bytes) -> list:
    """One problem per data row, as a rejected import reports them."""
    from openpyxl import load_workbook

    from foodsafety.imports.reader import Problem

    workbook = load_workbook(io.BytesIO(data), read_only=True)
    problems = []
    for ws in workbook.worksheets:
        column = "学段" if ws.title == "学校" else "单位类型"
        rows = sum(1 for _ in ws.iter_rows(min_row=2, max_col=1, values_only=True))
        problems += [Problem(ws.title, n, column, "取值应为以下之一。") for n in range(2, rows + 2)]
    workbook.close()
    return problems


CASES = {
    # name: (label, make, kind)
    "scan-bomb": ("JPEG 6324×6324，重复 3,500 个扫描段", scan_bomb, "photo"),
    "scan-bomb-unlimited": ("同一文件，扫描段上限放开（看 CPU 上限）", scan_bomb, "photo"),
    "png-40mp": ("RGBA PNG 6324×6324（4000 万像素）", lambda: rgba_png(6324, 6324), "photo"),
    "png-16mp": ("RGBA PNG 4000×4000（上限内，接受）", lambda: rgba_png(4000, 4000), "photo"),
    "webp-40mp": ("WebP 6324×6324（4000 万像素）", big_webp, "photo"),
    "xfd-blank": ("工作簿：4 万行仅含 XFD 列空单元格", xfd_blank_workbook, "read"),
    "wide-row": ("工作簿：一行 300 万个空单元格", wide_row_workbook, "read"),
    "junk": ("工作簿：300 万个无关元素", junk_workbook, "read"),
    "annotate-10mb": ("约 10 MB 被拒工作簿，annotated=true", big_rejected_workbook, "annotate"),
}


# --- one measurement, in a child process ----------------------------------------------------

def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def forkserver_children_cpu() -> float:
    """CPU seconds of the photo children the forkserver has reaped (its cutime + cstime): counts
    a child killed at its CPU limit too, which cannot report its own figures."""
    from multiprocessing import forkserver

    pid = forkserver._forkserver._forkserver_pid
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def child(case: str, mode: str, path: str) -> dict:
    import hostile_reference as reference

    from config import Config
    from foodsafety.imports import reader, report
    from foodsafety.photos import processing, sandbox

    data = Path(path).read_bytes()
    kind = CASES[case][2]
    problems = problems_of(data) if kind == "annotate" else None
    options = {"max_pixels": Config.PHOTO_MAX_PIXELS,
               "max_full_decode_pixels": Config.PHOTO_MAX_FULL_DECODE_PIXELS,
               "max_jpeg_scans": 10**9 if case == "scan-bomb-unlimited" else Config.PHOTO_JPEG_MAX_SCANS}
    limits = sandbox.Limits(Config.PHOTO_DECODE_CPU_SECONDS, Config.PHOTO_DECODE_MEMORY_MB * 2**20,
                            Config.PHOTO_DECODE_WALL_SECONDS)
    if mode == "after" and kind == "photo":
        sandbox.sandbox(Config.PHOTO_DECODE_SLOTS).prepare()  # a web worker has a child ready
        time.sleep(2)

    def run() -> str:
        if kind == "photo":
            try:
                if mode == "before":
                    return reference.process_before(data)
                photo = sandbox.process_photo(data, options=options, limits=limits,
                                              slots=Config.PHOTO_DECODE_SLOTS,
                                              queue_seconds=Config.PHOTO_DECODE_QUEUE_SECONDS)
                return f"接受：{photo.width}×{photo.height}，{len(photo.image) / 1e3:.0f} kB"
            except processing.PhotoRejected as rejected:
                return f"{rejected.status} {rejected.message}"
        if kind == "read":
            if mode == "before":
                return reference.read_before(data)
            try:
                parsed = reader.read_workbook(data)
            except reader.UnreadableWorkbook as refused:
                return f"{refused.status} {refused.message}"
            return f"读完：{parsed.total} 行数据"
        if mode == "before":  # the response to annotated=true: the import's reading, then the copy
            reference.read_before(data)
            out = reference.annotate_before(data, problems)
        else:
            out = report.annotate(data, problems, reader.read_workbook(data, keep_values=True))
        return f"标注副本 {len(out) / 1e6:.1f} MB"

    Path("/proc/self/clear_refs").write_text("5")
    rss = _status_mb("VmRSS")
    children = forkserver_children_cpu()
    start, cpu = time.perf_counter(), time.process_time()
    outcome = run()
    result = {"outcome": outcome, "wall": time.perf_counter() - start,
              "cpu": time.process_time() - cpu, "growth_mb": _status_mb("VmHWM") - rss}
    if mode == "after" and kind == "photo":
        costs = sandbox.last_costs()  # none from a child stopped at a limit: the forkserver's
        time.sleep(0.2)               # reaped-children time has its CPU then
        result["child_cpu"] = costs["job_cpu_seconds"] if costs else forkserver_children_cpu() - children
        result["child_growth_mb"] = costs["peak_growth_mb"] if costs else None
    return result


def measure(case: str, mode: str, path: Path, timeout: float) -> dict:
    command = [sys.executable, __file__, "--child", case, mode, str(path)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT / "bench")})
    except subprocess.TimeoutExpired:
        return {"outcome": f"{timeout:.0f} 秒后仍未结束，已停止", "timeout": timeout}
    if done.returncode:
        return {"outcome": f"进程失败：{done.stderr.strip().splitlines()[-1][:80]}", "failed": True}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the report -----------------------------------------------------------------------------

def _cpu(r: dict) -> str:
    if "timeout" in r:
        return f"> {r['timeout']:.0f}"
    return "—" if "cpu" not in r else f"{r['cpu'] + r.get('child_cpu', 0):.2f}"


def _pad(text: str, width: int, right: bool = False) -> str:
    """`text` padded to `width` terminal columns (a Chinese character takes two)."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    space = " " * max(0, width - shown)
    return space + text if right else text + space


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description="恶意上传与导入的基准测试（修复前后对比）")
    parser.add_argument("--before-timeout", type=float, default=120)
    parser.add_argument("--only", nargs="*", choices=list(CASES), help="只测这些文件")
    parser.add_argument("--child", nargs=3, metavar=("CASE", "MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return

    cases = args.only or list(CASES)
    rows, measured = [], {}
    with tempfile.TemporaryDirectory(prefix="hostile-bench-") as tmp:
        for case in cases:
            label, make, _kind = CASES[case]
            path = Path(tmp) / case
            started = time.perf_counter()
            path.write_bytes(make())
            print(f"生成 {label}：{path.stat().st_size / 1e6:.2f} MB（{time.perf_counter() - started:.1f} 秒）",
                  flush=True)
            if case == "scan-bomb-unlimited" and "scan-bomb" in measured:
                before = measured["scan-bomb"]  # the same file, the same old path
            else:
                before = measured[case] = measure(case, "before", path, args.before_timeout)
            after = measure(case, "after", path, 600)
            rows.append((case, label, path.stat().st_size, before, after))
            print(f"  修复前：{before['outcome']}\n  修复后：{after['outcome']}", flush=True)

    print(f"\n机器负载（1 分钟平均）{os.getloadavg()[0]:.1f}，CPU {os.cpu_count()} 个。"
          "CPU、墙钟为秒；内存为峰值 RSS 增长（MB）；修复后照片的 CPU 含子进程，内存分列 web 进程 / 子进程"
          "（子进程在上限处被终止时没有自报的内存数字：—）。")
    widths = (44, 9, 9, 9, 9, 9, 9, 12, 9, 9)
    print()
    print("".join(_pad(h, w, i > 0) for i, (h, w) in enumerate(zip(
        ("文件", "大小 MB", "前 CPU", "前内存", "后 CPU", "后墙钟", "后内存", "子进程内存", "CPU 比", "内存比"),
        widths, strict=True))))
    for _case, label, size, before, after in rows:
        after_mem = after.get("growth_mb")
        child_mem = after.get("child_growth_mb")
        cpu_ratio = mem_ratio = "—"
        if "cpu" in after and ("cpu" in before or "timeout" in before):
            base = before.get("cpu", before.get("timeout"))
            now = after["cpu"] + after.get("child_cpu", 0)
            cpu_ratio = f"{'≤ ' if 'timeout' in before else ''}{now / base:.3f}" if base else "—"
        if "growth_mb" in before and after_mem is not None:
            now = max(after_mem, child_mem or 0)
            mem_ratio = f"{now / before['growth_mb']:.3f}" if before["growth_mb"] > 1 else "—"
        wall = f"{after['wall']:.2f}" if "wall" in after else "—"
        cells = (label, f"{size / 1e6:.2f}", _cpu(before), _mb(before.get("growth_mb")), _cpu(after), wall,
                 _mb(after_mem), _mb(child_mem), cpu_ratio, mem_ratio)
        print("".join(_pad(c, w, i > 0) for i, (c, w) in enumerate(zip(cells, widths, strict=True))))


if __name__ == "__main__":
    main()
