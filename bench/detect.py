"""Benchmark: piguard.detect against Presidio (model-free), on the generated corpus.

Run ``.venv/bin/python bench/detect.py [--quick]``. Measures, on one core and in
the same run:

- the default path (detect + validate + resolve, every type, names and addresses
  included) and detect + mask, per document, in MB/s and documents/s;
- bulk mode (discovery) on the whole corpus as one multi-line text, and on a
  generated application log that is mostly not PI (``corpus.generate_log``),
  next to the default path on the same log;
- presidio-analyzer configured without any model (``NoOpNlpEngine``) with
  equivalent pattern recognizers (GB 11643 and Luhn checks in
  ``validate_result``, Chinese context words), as ``shared/reference/presidio.md``
  describes, on the same documents (a slice) and log lines;
- both engines' exact-span precision and recall, side by side, on the generated
  corpus and on the held-out corpus of ``tests/detect/heldout.py`` (formats and
  templates the detector's own corpus does not use);
- the whole process (issue 19): ``piguard scan FILE --json`` on a generated note
  file (``--scan-mb``, 6 MB by default) against a Presidio process that loads the
  same configuration and analyzes the same file line by line, start-up included;
- the CLI's start-up: ``piguard --help`` against ``python -c pass``.

The machine is shared, so every figure is the best and the median of several
repeats (wall clock); ratios use the best figures of both engines. The last
stdout line is one JSON object.

Presidio is optional (not a runtime dependency): without it only piguard's
figures are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.detect.heldout

from piguard import native
from piguard.detect import Detector
from piguard.detect.corpus import Document, generate, generate_log
from piguard.detect.evaluation import evaluate
from piguard.validate import bank_card, resident_id

# The types both engines look for; Presidio has no model-free name recognizer.
SHARED = ("resident_id", "bank_card", "mobile", "email", "ip", "address")


def _measure(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Return the best and median wall time and the best CPU time of ``repeat`` runs, in seconds.

    CPU time (``time.process_time``) is less disturbed by other processes on a
    shared machine; wall time is what a user waits.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return min(walls), statistics.median(walls), min(cpus)


def _figures(
    mb: float, count: int, times: tuple[float, float, float], unit: str = "docs"
) -> dict[str, float]:
    best, median, cpu = times
    return {
        "mb_s_best": round(mb / best, 2),
        "mb_s_median": round(mb / median, 2),
        "mb_s_cpu_best": round(mb / cpu, 2),
        f"{unit}_s_best": round(count / best),
    }


def _presidio() -> Callable[[str], list[tuple[int, int, str]]] | None:
    try:
        from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NoOpNlpEngine
    except ImportError:
        return None

    class CnId(PatternRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return bool(resident_id.is_valid(pattern_text))

    class Card(PatternRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return bool(bank_card.luhn_ok(pattern_text.replace(" ", "").replace("-", "")))

    d = r"(?<![0-9A-Za-z])"
    e = r"(?![0-9A-Za-z])"
    provinces = "|".join(
        "北京 上海 天津 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 "
        "海南 四川 贵州 云南 陕西 甘肃 青海 内蒙古 广西 西藏 宁夏 新疆".split()
    )
    recognizers = [
        CnId(
            supported_entity="resident_id",
            supported_language="zh",
            patterns=[Pattern("id", d + r"[1-9]\d{5}(?:19|20)\d{2}\d{4}\d{3}[\dXx]" + e, 0.5)],
            context=["身份证", "证件"],
        ),
        Card(
            supported_entity="bank_card",
            supported_language="zh",
            patterns=[Pattern("card", d + r"(?:\d{4}[ -]?){3}\d{4}(?:[ -]?\d{1,3})?" + e, 0.3)],
            context=["卡号", "银行卡"],
        ),
        PatternRecognizer(
            supported_entity="mobile",
            supported_language="zh",
            patterns=[Pattern("mobile", r"(?:\+86 ?)?" + d + r"1[3-9]\d[ -]?\d{4}[ -]?\d{4}" + e, 0.6)],
            context=["手机", "电话"],
        ),
        PatternRecognizer(
            supported_entity="email",
            supported_language="zh",
            patterns=[Pattern("email", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", 0.8)],
        ),
        PatternRecognizer(
            supported_entity="ip",
            supported_language="zh",
            patterns=[Pattern("ip", r"(?<![0-9.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9])", 0.6)],
        ),
        PatternRecognizer(
            supported_entity="address",
            supported_language="zh",
            patterns=[
                Pattern(
                    "address", rf"(?:{provinces})[\u4e00-\u9fa5]{{2,20}}?(?:路|街)(?:\d+号|[A-Za-z]座)", 0.6
                )
            ],
        ),
    ]
    registry = RecognizerRegistry(supported_languages=["zh"])
    for r in recognizers:
        registry.add_recognizer(r)
    engine = AnalyzerEngine(
        registry=registry,
        nlp_engine=NoOpNlpEngine(models=[{"lang_code": "zh", "model_name": "none"}]),
        supported_languages=["zh"],
    )

    def predict(text: str) -> list[tuple[int, int, str]]:
        return [(r.start, r.end, r.entity_type) for r in engine.analyze(text, language="zh")]

    return predict


def _scores(predict: Callable[[str], Iterable[tuple[int, int, str]]], docs: list[Document]) -> dict[str, Any]:
    scores = evaluate(predict, docs)
    return {
        t: {"precision": round(s.precision, 4), "recall": round(s.recall, 4)}
        for t, s in sorted(scores.items())
    }


def _print(name: str, f: dict[str, float], unit: str) -> None:
    best, median, cpu, rate = f["mb_s_best"], f["mb_s_median"], f["mb_s_cpu_best"], f[f"{unit}_s_best"]
    print(f"{name:36} {best:7.2f} / {median:7.2f} MB/s (cpu {cpu:6.2f}) {rate:9.0f} {unit}/s")


def _process(argv: list[str], repeat: int, stdin: str | None = None) -> tuple[float, float]:
    """Best wall and best CPU time (user + system of the child) of running ``argv``."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, input=stdin, text=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus)


def _note_file(path: Path, mb: float) -> float:
    """Write held-out and generated notes, one per line, up to ``mb`` MB; return the size in MB."""
    from tests.detect import heldout

    size, seed = 0, 100
    with path.open("w", encoding="utf-8") as out:
        while size < mb * 1e6:
            docs = heldout.generate(2000, seed=seed) + generate(2000, seed=seed + 1)
            for doc in docs:
                line = doc.text.replace("\n", " ") + "\n"
                out.write(line)
                size += len(line.encode("utf-8"))
            seed += 2
    return size / 1e6


def _presidio_scan(file: str) -> None:
    """The Presidio process of the whole-process comparison: analyze each line, print JSON."""
    presidio = _presidio()
    if presidio is None:
        raise SystemExit("presidio-analyzer is not installed: pip install -e '.[bench]'")
    found = []
    with open(file, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            found.extend({"line": number, "start": s, "end": e, "type": t} for s, e, t in presidio(line))
    json.dump({"findings": found}, sys.stdout)


def _whole_process(figures: dict[str, Any], mb: float, repeat: int, with_presidio: bool) -> None:
    piguard = [sys.executable, "-m", "piguard.cli.main"]
    python = [sys.executable]
    env_note = "one process each, start-up included"
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "notes.txt"
        size = _note_file(file, mb)
        wall, cpu = _process([*piguard, "scan", str(file), "--json"], repeat)
        figures["scan_process"] = {"mb": round(size, 2), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}
        figures["scan_process"]["mb_s"] = round(size / wall, 2)
        print(
            f"piguard scan FILE --json ({size:.1f} MB, {env_note}): {wall:.2f} s wall, {cpu:.2f} s CPU, "
            f"{size / wall:.2f} MB/s"
        )
        if with_presidio:
            pwall, pcpu = _process([*python, __file__, "--presidio-scan", str(file)], 1)
            figures["presidio_scan_process"] = {"wall_s": round(pwall, 2), "cpu_s": round(pcpu, 2)}
            figures["presidio_scan_process"]["mb_s"] = round(size / pwall, 2)
            figures.setdefault("ratios", {})["scan_process_vs_presidio"] = round(pwall / wall, 2)
            figures["ratios"]["scan_process_vs_presidio_cpu"] = round(pcpu / cpu, 2)
            print(
                f"presidio process on the same file: {pwall:.2f} s wall, {pcpu:.2f} s CPU; "
                f"ratio {pwall / wall:.2f}x wall, {pcpu / cpu:.2f}x CPU"
            )
    help_wall, help_cpu = _process([*piguard, "--help"], max(repeat, 5))
    pass_wall, pass_cpu = _process([*python, "-c", "pass"], max(repeat, 5))
    figures["cli_help"] = {"wall_s": round(help_wall, 3), "cpu_s": round(help_cpu, 3)}
    figures["python_pass"] = {"wall_s": round(pass_wall, 3), "cpu_s": round(pass_cpu, 3)}
    print(
        f"piguard --help: {help_wall:.3f} s wall, {help_cpu:.3f} s CPU; "
        f"python -c pass: {pass_wall:.3f} s wall, {pass_cpu:.3f} s CPU"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--presidio-scan":
        _presidio_scan(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a small corpus (finishes in well under a minute)"
    )
    parser.add_argument("--docs", type=int, default=None, help="number of documents")
    parser.add_argument("--repeat", type=int, default=None, help="repeats per measurement")
    parser.add_argument("--scan-mb", type=float, default=None, help="size of the whole-process scan file")
    args = parser.parse_args()
    count = args.docs or (3000 if args.quick else 20000)
    repeat = args.repeat or (3 if args.quick else 5)
    log_lines = 6000 if args.quick else 30000
    docs = generate(count, seed=42)
    texts = [d.text for d in docs]
    joined = "\n".join(texts)
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    log = generate_log(log_lines, seed=7, pi_share=0.02)
    log_mb = len(log.encode("utf-8")) / 1e6
    print(f"corpus: {count} documents, {mb:.2f} MB (seed 42); log: {log_lines} lines, {log_mb:.2f} MB, 2% PI")
    build = native.status()  # compiled (scripts/build-native) or pure Python (PIGUARD_PURE=1)
    print(f"detector: {'compiled' if build.active else 'pure Python'} ({build.reason})")
    print(f"each figure: best / median of {repeat} runs, wall clock (and best CPU time), one process")

    detector = Detector()
    detector.detect(texts[0])  # compile outside the timing
    detector.detect(log[:5000], mode="bulk")
    structured = frozenset(detector.supported_types) - {"person", "address"}
    figures: dict[str, Any] = {
        "docs": count,
        "mb": round(mb, 3),
        "log_mb": round(log_mb, 3),
        "repeat": repeat,
    }
    runs: dict[str, tuple[Callable[[], object], float, int, str]] = {
        "piguard_detect": (lambda: [detector.detect(t) for t in texts], mb, count, "docs"),
        "piguard_detect_mask": (lambda: [detector.mask_text(t) for t in texts], mb, count, "docs"),
        "piguard_detect_no_names_addresses": (
            lambda: [detector.detect(t, types=structured) for t in texts],
            mb,
            count,
            "docs",
        ),
        "piguard_bulk_corpus": (lambda: detector.detect(joined, mode="bulk"), mb, count, "docs"),
        "piguard_default_log": (lambda: detector.detect(log), log_mb, log_lines, "lines"),
        "piguard_bulk_log": (lambda: detector.detect(log, mode="bulk"), log_mb, log_lines, "lines"),
    }
    for name, (run, size, items, unit) in runs.items():
        figures[name] = _figures(size, items, _measure(run, repeat), unit)
        _print(name, figures[name], unit)

    presidio = _presidio()
    if presidio is not None:
        presidio(texts[0])
        ptexts = texts[: min(count, 5000)]  # Presidio is slow: time a slice.
        pmb = sum(len(t.encode("utf-8")) for t in ptexts) / 1e6
        figures["presidio_custom_noop"] = _figures(
            pmb, len(ptexts), _measure(lambda: [presidio(t) for t in ptexts], repeat)
        )
        plines = log.split("\n")[:3000]
        plog_mb = sum(len(line.encode("utf-8")) + 1 for line in plines) / 1e6
        figures["presidio_log_per_line"] = _figures(
            plog_mb, len(plines), _measure(lambda: [presidio(line) for line in plines], repeat), "lines"
        )
        for name in ("presidio_custom_noop", "presidio_log_per_line"):
            _print(name, figures[name], "lines" if "log" in name else "docs")
        base = figures["presidio_custom_noop"]["mb_s_best"]
        log_base = figures["presidio_log_per_line"]["mb_s_best"]
        cpu_base = figures["presidio_custom_noop"]["mb_s_cpu_best"]
        ratios = {
            "detect_vs_presidio_cpu": figures["piguard_detect"]["mb_s_cpu_best"] / cpu_base,
            "detect_vs_presidio": figures["piguard_detect"]["mb_s_best"] / base,
            # Presidio's mask path would add AnonymizerEngine, which only slows it: a conservative ratio.
            "detect_mask_vs_presidio_detect": figures["piguard_detect_mask"]["mb_s_best"] / base,
            "bulk_corpus_vs_presidio": figures["piguard_bulk_corpus"]["mb_s_best"] / base,
            "bulk_log_vs_presidio_log": figures["piguard_bulk_log"]["mb_s_best"] / log_base,
        }
        figures["ratios"] = {k: round(v, 2) for k, v in ratios.items()}
        for k, v in ratios.items():
            print(f"ratio {k}: {v:.2f}x")

    ours = _scores(lambda t: [(f.start, f.end, f.type) for f in detector.detect(t)], docs)
    figures["piguard_accuracy"] = ours
    theirs: dict[str, Any] = {}
    if presidio is not None:
        theirs = _scores(presidio, docs[: min(count, 5000)])
        figures["presidio_accuracy"] = theirs
    print(f"{'type':14} {'piguard P':>10} {'piguard R':>10} {'presidio P':>11} {'presidio R':>11}")
    for type_ in sorted(ours):
        p = theirs.get(type_, {})
        print(
            f"{type_:14} {ours[type_]['precision']:10.4f} {ours[type_]['recall']:10.4f}"
            f" {p.get('precision', float('nan')):11.4f} {p.get('recall', float('nan')):11.4f}"
        )
    from tests.detect import heldout

    held = heldout.generate(min(count, 5000), seed=20261203)
    figures["piguard_accuracy_heldout"] = ours_h = _scores(
        lambda t: [(f.start, f.end, f.type) for f in detector.detect(t)], held
    )
    theirs_h: dict[str, Any] = {}
    if presidio is not None:
        figures["presidio_accuracy_heldout"] = theirs_h = _scores(presidio, held)
    print("held-out corpus (tests/detect/heldout.py):")
    for type_ in sorted(ours_h):
        p = theirs_h.get(type_, {})
        print(
            f"{type_:14} {ours_h[type_]['precision']:10.4f} {ours_h[type_]['recall']:10.4f}"
            f" {p.get('precision', float('nan')):11.4f} {p.get('recall', float('nan')):11.4f}"
        )
    _whole_process(
        figures, args.scan_mb or (1.0 if args.quick else 6.0), 1 if args.quick else 3, presidio is not None
    )
    figures["detector"] = "compiled" if build.active else "pure"
    figures["cores"] = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
