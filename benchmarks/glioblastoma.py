#!/usr/bin/env python3
"""Throughput, memory and accuracy of the glioblastoma programs on the phantoms.

Runs ``examples/glioblastoma.imgql`` (the TACAS 2019 method with its
cross-correlation refinement) and ``examples/glioblastoma_fast.imgql`` (without
it) through the ``voxlogica`` command line, each in a fresh process with
``--workers 2`` and an empty ``--store`` (cold), and prints:

* per case: reference and GTV volume, Dice of the GTV against the reference
  mask, and the time between that case's masks being written and the previous
  case's (the first interval includes start-up);
* per program: wall time, wall time per case and peak RSS (``ru_maxrss`` of the
  process, from ``os.wait4``);
* the fast program on the first 5 and on all 10 cases, to show whether peak
  memory grows with the number of cases, and the marginal time per case
  ``(T10 - T5) / 5``, free of the fixed start-up cost; with ``--long N`` also
  on N cases, the dataset's linked again under new names;
* a warm rerun of each program on the store its cold run filled.

With ``--profile`` it also runs each program once on 5 cases in this process,
with every primitive call and every store write timed, and prints where the
worker threads spent their time. ``--preview FILE`` writes case_00's axial
slice with the reference (red) and GTV (green) outlines.

The programs read ``examples/phantoms`` and write ``examples/output/...``
relative to the working folder, so a subset of the dataset is run by giving the
process a scratch working folder whose ``examples/phantoms`` holds links to the
chosen cases; the program files themselves are not copied.

Run from the repository root:  .venv/bin/python benchmarks/glioblastoma.py
[--cases 10] [--long N] [--profile] [--preview FILE]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import SimpleITK as sitk

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY / "examples"))
sys.path.insert(0, str(REPOSITORY / "benchmarks"))

import make_phantoms  # noqa: E402  (lives in examples/, found through sys.path)
import phantom_reference  # noqa: E402

# Short name: (program, its output folder under examples/output).
PROGRAMS = {
    "cc": ("examples/glioblastoma.imgql", "glioblastoma"),
    "fast": ("examples/glioblastoma_fast.imgql", "glioblastoma_fast"),
}
DESCRIPTIONS = {"cc": "with cross-correlation", "fast": "without cross-correlation"}
VOXLOGICA = [sys.executable, "-m", "voxlogica.cli.main"]
WORKERS = 2
TARGET_MEAN_DICE = 0.85
TARGET_SECONDS_PER_CASE = 1.0


@dataclass
class Run:
    """One process running one program."""

    wall_s: float
    peak_rss_mb: float
    printed: dict[str, float]
    # Seconds from the process start to each case's outputs being written.
    written_s: dict[str, float] = field(default_factory=dict)

    def value(self, case: str, measure: str) -> float:
        return self.printed[f"{case} {measure}"]


def run_program(program: str, cwd: Path, store: Path, output_folder: str) -> Run:
    """Run ``program`` in a fresh process from ``cwd``; time it and parse its prints."""
    command = [
        *VOXLOGICA,
        "run",
        str(REPOSITORY / program),
        "--workers",
        str(WORKERS),
        "--store",
        str(store),
        "--json",
    ]
    environment = dict(os.environ, PYTHONPATH=str(REPOSITORY / "src"))
    started_wall = time.time()
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )
    # Read the pipes while the process runs, or a full pipe would block it;
    # os.wait4 (not Popen.wait) is what gives the child's resource usage.
    outputs: dict[str, bytes] = {}

    def drain(name: str, stream) -> None:
        outputs[name] = stream.read()

    readers = [
        threading.Thread(target=drain, args=(name, stream))
        for name, stream in (("out", process.stdout), ("err", process.stderr))
    ]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    for reader in readers:
        reader.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    document = json.loads(outputs["out"] or b"{}")
    if process.returncode != 0 or document.get("error"):
        raise RuntimeError(
            f"{program} failed ({process.returncode}): "
            f"{document.get('error') or outputs['err'].decode()}"
        )
    printed = {entry["name"]: entry["value"] for entry in document["print"]}
    written = {}
    # A case's masks are written together, once both are computed.
    for mask in (cwd / "examples" / "output" / output_folder).glob("*_ctv.nii.gz"):
        case = mask.name[: -len("_ctv.nii.gz")]
        written[case] = mask.stat().st_mtime - started_wall
    return Run(wall, usage.ru_maxrss / 1024, printed, written)


def linked_folder(scratch: Path, data: Path, count: int, available: int) -> Path:
    """A working folder whose examples/phantoms links ``count`` cases.

    Case k links to dataset case ``k % available``: beyond the dataset's size
    the files repeat under new names, and since plan ids include the path,
    the repeats share nothing with the originals.
    """
    folder = scratch / f"cwd_{count}"
    phantoms = folder / "examples" / "phantoms"
    phantoms.mkdir(parents=True)
    for case in range(count):
        for suffix in ("flair", "seg"):
            source = data / f"case_{case % available:02d}_{suffix}.nii.gz"
            (phantoms / f"case_{case:02d}_{suffix}.nii.gz").symlink_to(source)
    return folder


def reference_ml(data: Path, case: str) -> float:
    image = sitk.ReadImage(str(data / f"{case}_seg.nii.gz"))
    voxel_ml = float(np.prod(image.GetSpacing())) / 1000.0
    return float((sitk.GetArrayViewFromImage(image) > 0).sum()) * voxel_ml


def per_case_intervals(run: Run, cases: list[str]) -> dict[str, float]:
    """Seconds between each case's masks being written and the previous case's."""
    intervals, previous = {}, 0.0
    for case in cases:
        written = run.written_s.get(case, float("nan"))
        intervals[case] = written - previous
        previous = written
    return intervals


def profile(program: str, cwd: Path, store: Path) -> None:
    """Run ``program`` in this process, timing each primitive and store write.

    The embedded Dask workers are threads of this process, so patching the
    primitive lookup of the task module and the store's ``put`` sees every
    call they make.
    """
    import voxlogica.engine.tasks as tasks
    from voxlogica.cli.main import main as voxlogica_main
    from voxlogica.store import results

    totals: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
    lock = threading.Lock()

    def record(name: str, seconds: float) -> None:
        with lock:
            totals[name][0] += 1
            totals[name][1] += seconds

    class TimedPrimitive:
        def __init__(self, primitive):
            self._primitive = primitive

        def __getattr__(self, attribute):
            return getattr(self._primitive, attribute)

        def function(self, *arguments):
            started = time.perf_counter()
            try:
                return self._primitive.function(*arguments)
            finally:
                record(self._primitive.name, time.perf_counter() - started)

    original_resolve, original_put = tasks.resolve, results.ResultStore.put

    def timed_put(self, *arguments, **keywords):
        started = time.perf_counter()
        try:
            return original_put(self, *arguments, **keywords)
        finally:
            record("(store write: encode + compress)", time.perf_counter() - started)

    tasks.resolve = lambda name: TimedPrimitive(original_resolve(name))
    results.ResultStore.put = timed_put
    previous_folder = Path.cwd()
    os.chdir(cwd)
    started = time.perf_counter()
    try:
        arguments = ["run", str(REPOSITORY / program), "--workers", str(WORKERS)]
        with open(os.devnull, "w") as sink:
            saved_stdout, sys.stdout = sys.stdout, sink
            try:
                voxlogica_main([*arguments, "--store", str(store)])
            finally:
                sys.stdout = saved_stdout
    finally:
        os.chdir(previous_folder)
        tasks.resolve, results.ResultStore.put = original_resolve, original_put
    wall = time.perf_counter() - started
    busy = sum(seconds for _, seconds in totals.values())
    print(
        f"\nprofile of {program}: wall {wall:.1f} s, {WORKERS} workers busy "
        f"{busy:.1f} thread-s in primitives and store writes"
    )
    print(f"{'seconds':>9} {'share':>6} {'calls':>6} {'ms/call':>8}  primitive")
    for name, (calls, seconds) in sorted(totals.items(), key=lambda kv: -kv[1][1])[:14]:
        print(
            f"{seconds:9.2f} {100 * seconds / busy:5.1f}% {calls:6d} "
            f"{1000 * seconds / calls:8.1f}  {name}"
        )


def write_preview(path: Path, data: Path, gtv_folder: Path, case: str) -> None:
    """Axial slice through the lesion: reference outline red, GTV green, both yellow."""
    flair = sitk.GetArrayFromImage(sitk.ReadImage(str(data / f"{case}_flair.nii.gz")))
    reference = sitk.GetArrayFromImage(sitk.ReadImage(str(data / f"{case}_seg.nii.gz")))
    gtv = sitk.GetArrayFromImage(sitk.ReadImage(str(gtv_folder / f"{case}_gtv.nii.gz")))
    phantom_reference.write_preview(path, flair, reference > 0, gtv > 0)


def print_cases(data: Path, cases: list[str], cold: dict[str, Run]) -> None:
    header = f"{'case':<8}{'ref ml':>8}"
    for name in cold:
        header += f"{name + ' ml':>10}{name + ' Dice':>10}{name + ' s':>8}"
    print(header)
    intervals = {name: per_case_intervals(run, cases) for name, run in cold.items()}
    for case in cases:
        line = f"{case:<8}{reference_ml(data, case):8.1f}"
        for name, run in cold.items():
            line += f"{run.value(case, 'GTV ml'):10.1f}{run.value(case, 'Dice'):10.3f}"
            line += f"{intervals[name][case]:8.2f}"
        print(line)
    print(
        "(s: seconds between this case's masks being written and the previous "
        "case's; the first includes start-up; up to 2 x workers cases are in flight)"
    )


def print_runs(rows: list[tuple[str, int, Run]]) -> None:
    print(
        f"\n{f'program ({WORKERS} workers)':<28}{'cases':>6}{'wall s':>8}"
        f"{'s/case':>8}{'peak MB':>9}{'mean Dice':>10}"
    )
    for label, count, run in rows:
        print(
            f"{label:<28}{count:6d}{run.wall_s:8.2f}{run.wall_s / count:8.2f}"
            f"{run.peak_rss_mb:9.0f}{run.printed['mean Dice']:10.3f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10)
    parser.add_argument(
        "--long",
        type=int,
        metavar="N",
        help="also run the fast program on N cases (the dataset's, repeated)",
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--preview", type=Path, help="PNG of case_00's GTV outline")
    arguments = parser.parse_args(argv)
    if arguments.cases < 2:
        parser.error("--cases must be at least 2")

    data = make_phantoms.DEFAULT_OUT
    # The dataset is built whole (another count would rebuild it); the
    # benchmark takes its first cases.
    available = max(arguments.cases, 10)
    make_phantoms.build_dataset(data, cases=available)
    cases = [f"case_{i:02d}" for i in range(arguments.cases)]
    half = arguments.cases // 2
    scratch = Path(tempfile.mkdtemp(prefix="voxlogica-glioblastoma-"))
    try:
        full_folder = linked_folder(scratch, data, len(cases), available)
        half_folder = linked_folder(scratch, data, half, available)
        cold, warm = {}, {}
        for name, (program, output) in PROGRAMS.items():
            store = scratch / f"store_{output}"
            cold[name] = run_program(program, full_folder, store, output)
            warm[name] = run_program(program, full_folder, store, output)
        fast_program, fast_output = PROGRAMS["fast"]
        fast_half = run_program(
            fast_program, half_folder, scratch / "store_half", fast_output
        )
        fast_long = None
        if arguments.long:
            fast_long = run_program(
                fast_program,
                linked_folder(scratch, data, arguments.long, available),
                scratch / "store_long",
                fast_output,
            )

        print_cases(data, cases, cold)
        rows = [(f"{name}, cold", len(cases), run) for name, run in cold.items()]
        rows += [(f"{name}, warm rerun", len(cases), run) for name, run in warm.items()]
        rows.append(("fast, cold", half, fast_half))
        if fast_long:
            rows.append(("fast, cold (repeated cases)", arguments.long, fast_long))
        print_runs(rows)

        print()
        for name, run in cold.items():
            mean_dice = run.printed["mean Dice"]
            verdict = "met" if mean_dice >= TARGET_MEAN_DICE else "MISSED"
            print(
                f"mean GTV Dice, {DESCRIPTIONS[name]}: {mean_dice:.3f} "
                f"(target >= {TARGET_MEAN_DICE}: {verdict})"
            )
        fast = cold["fast"]
        marginal = (fast.wall_s - fast_half.wall_s) / (len(cases) - half)
        verdict = "met" if marginal <= TARGET_SECONDS_PER_CASE else "MISSED"
        print(
            f"fast, marginal time per case ({half} -> {len(cases)} cases): "
            f"{marginal:.2f} s; wall / cases on {len(cases)}: "
            f"{fast.wall_s / len(cases):.2f} s "
            f"(target <= {TARGET_SECONDS_PER_CASE} s: {verdict})"
        )
        print(
            f"fast, peak RSS {len(cases)} / {half} cases: {fast.peak_rss_mb:.0f} / "
            f"{fast_half.peak_rss_mb:.0f} MB = "
            f"{fast.peak_rss_mb / fast_half.peak_rss_mb:.2f}"
        )
        if fast_long:
            print(
                f"fast, peak RSS {arguments.long} / {half} cases: "
                f"{fast_long.peak_rss_mb / fast_half.peak_rss_mb:.2f}"
            )
        for name in PROGRAMS:
            print(
                f"warm / cold wall, {DESCRIPTIONS[name]}: "
                f"{warm[name].wall_s:.2f} / {cold[name].wall_s:.2f} s"
            )

        if arguments.preview:
            output = full_folder / "examples" / "output" / PROGRAMS["cc"][1]
            write_preview(arguments.preview, data, output, cases[0])
            print(
                f"preview of {cases[0]} (GTV with cross-correlation): "
                f"{arguments.preview}"
            )
        if arguments.profile:
            for program, output in PROGRAMS.values():
                profile(program, half_folder, scratch / f"profile_{output}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
