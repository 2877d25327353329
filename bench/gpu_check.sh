#!/usr/bin/env bash
# One prepared GPU session: the `#| cuda` notebook cells and the CUDA twins of the tests, then the GPU benchmarks; results into $OUT (or bench/out).
# The GPU machine may lack nbdev/execnb/fastcore/torch-harmonics: carry them as wheels in .whl/ (see bench/RESULTS.md) and they are installed here.
set -u
OUT=${OUT:-bench/out}; mkdir -p "$OUT" bench/out
export PYTHONUNBUFFERED=1 ATMODIST_PROGRESS=0 MPLBACKEND=Agg PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
PY=${PY:-python3}
if ls .whl/*.whl >/dev/null 2>&1; then
  $PY -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PYTHONPATH
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
$PY -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())" | tee -a "$OUT/gpu.txt"
# the notebooks' `#| cuda` cells (with everything before them), as nbdev_test runs them with the cuda flag
for nb in $(grep -l '"#| cuda' nbs/*.ipynb); do
  timeout 300 $PY -c "from nbdev.test import test_nb; from pathlib import Path; import sys; ok, t = test_nb(Path(sys.argv[1]), skip_flags=[], force_flags=['cuda', 'slow']); print(sys.argv[1], 'passed' if ok else 'FAILED', f'{t:.0f}s'); sys.exit(0 if ok else 1)" "$nb" 2>&1 | tail -20 | tee -a "$OUT/cuda_cells.log"
done
timeout 200 $PY -m pytest -q -p no:cacheprovider tests/test_cuda.py 2>&1 | tail -15 | tee "$OUT/cuda_tests.log"
timeout 90 $PY bench/bench_pairs.py --device cuda --era5-window --dtype bfloat16 --gather both --seconds 3 2>&1 | tail -25 | tee "$OUT/pairs.log"
timeout 150 $PY bench/bench_pretext.py --device cuda --compile 2>&1 | tail -25 | tee "$OUT/pretext.log"
timeout 150 $PY bench/bench_superres.py --device cuda --compile 2>&1 | tail -25 | tee "$OUT/superres.log"
[ -f bench/bench_vit.py ] && timeout 150 $PY bench/bench_vit.py --device cuda --compile 2>&1 | tail -25 | tee "$OUT/vit.log"
[ -f bench/bench_stream.py ] && timeout 200 $PY bench/bench_stream.py --device cuda 2>&1 | tail -25 | tee "$OUT/stream.log"
cp bench/out/*.json "$OUT/" 2>/dev/null; ls "$OUT"
