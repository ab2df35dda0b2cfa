"""Wall time and peak memory of ImgQL loop programs next to hand-written SimpleITK.

Each measurement runs in a fresh process (peak RSS is that process's
ru_maxrss). Programs:

(a) examples/loops.imgql: a 499-element loop whose body does not depend on
    the loop variable, then a loop over it (cold: empty store);
(b) the same with a body that does depend on the variable, N = 50 and 400;
(c) a warm rerun of (a) on the store (a) filled.

Run from the repository root:  .venv/bin/python benchmarks/loops.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
IMAGE = "examples/data/chris_t1.nii.gz"
VOXLOGICA = [sys.executable, "-m", "voxlogica.cli.main"]

NON_DEDUP = """import "simpleitk"
let img = ReadImage("{image}")
let data = for i in range(0,{n}) do
    Multiply(BinaryThreshold(img, i / 2, (i / 2) + 50, 1, 0), img)
let data2 = for j in data do MinimumMaximum(j)
print "data2" data2
"""

HAND_WRITTEN = """
import SimpleITK as sitk
img = sitk.ReadImage({image!r})
results = []
for i in range({start}, {stop}):
    low, high = {low}, {high}
    masked = sitk.Multiply(sitk.BinaryThreshold(img, low, high, 1, 0), img)
    results.append(sitk.MinimumMaximum(masked))
print(len(results))
"""


def measure(command: list[str]) -> tuple[float, float]:
    """Run ``command`` in a fresh process; return (wall seconds, peak RSS MB)."""
    # As the ./voxlogica launcher does: keep compiled modules between runs.
    environment = {
        k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=REPOSITORY,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command} failed: {process.stderr.read().decode()}")
    process.stderr.close()
    return wall, usage.ru_maxrss / 1024


def hand_written(start: int, stop: int, depends_on_i: bool) -> list[str]:
    low, high = ("i / 2", "i / 2 + 50") if depends_on_i else ("100", "101")
    code = HAND_WRITTEN.format(image=IMAGE, start=start, stop=stop, low=low, high=high)
    return [sys.executable, "-c", code]


def main() -> None:
    rows = []
    scratch = Path(tempfile.mkdtemp(prefix="voxlogica-bench-"))
    try:
        store = scratch / "store"
        program_a = ["run", "examples/loops.imgql", "--store", str(store)]
        cold = measure(VOXLOGICA + program_a)
        rows.append(
            ("(a) loops.imgql, cold", cold, measure(hand_written(1, 500, False)))
        )
        warm = measure(VOXLOGICA + program_a)
        rows.append(("(c) loops.imgql, warm rerun", warm, None))
        for n in (50, 400):
            program = scratch / f"non_dedup_{n}.imgql"
            program.write_text(NON_DEDUP.format(image=IMAGE, n=n))
            fresh_store = scratch / f"store_{n}"
            ours = measure(
                VOXLOGICA + ["run", str(program), "--store", str(fresh_store)]
            )
            rows.append(
                (f"(b) non-dedup N={n}", ours, measure(hand_written(0, n, True)))
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"{'program':32} {'wall s':>8} {'peak MB':>8} {'SITK s':>8} {'SITK MB':>8}")
    for name, (wall, peak), reference in rows:
        ref_wall, ref_peak = reference if reference else (float("nan"), float("nan"))
        print(f"{name:32} {wall:8.2f} {peak:8.0f} {ref_wall:8.2f} {ref_peak:8.0f}")
    by_name = {name: values for name, values, _ in rows}
    cold_wall = by_name["(a) loops.imgql, cold"][0]
    warm_wall = by_name["(c) loops.imgql, warm rerun"][0]
    peak_50 = by_name["(b) non-dedup N=50"][1]
    peak_400 = by_name["(b) non-dedup N=400"][1]
    hand_400 = [ref for name, _, ref in rows if name == "(b) non-dedup N=400"][0][0]
    print()
    print(f"warm / cold wall:            {warm_wall / cold_wall:.2f}  (target <= 0.10)")
    print(f"peak RSS N=400 / N=50:       {peak_400 / peak_50:.2f}  (target <= 1.2)")
    print(
        "wall N=400 / hand-written:   "
        f"{by_name['(b) non-dedup N=400'][0] / hand_400:.2f}"
        "  (target <= 1.3)"
    )


if __name__ == "__main__":
    main()
