#!/usr/bin/env bash
# One prepared GPU session: the CUDA twins of the tests, then the three benchmarks; results into $OUT (or bench/out).
set -u
OUT=${OUT:-bench/out}; mkdir -p "$OUT" bench/out
export PYTHONUNBUFFERED=1 ATMODIST_PROGRESS=0 MPLBACKEND=Agg PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
PY=${PY:-python3}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
$PY -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())" | tee -a "$OUT/gpu.txt"
timeout 200 $PY -m pytest -q -p no:cacheprovider tests/test_cuda.py 2>&1 | tail -15 | tee "$OUT/cuda_tests.log"
timeout 90 $PY bench/bench_pairs.py --device cuda --era5-window --dtype bfloat16 --gather both --seconds 3 2>&1 | tail -25 | tee "$OUT/pairs.log"
timeout 150 $PY bench/bench_pretext.py --device cuda --compile 2>&1 | tail -25 | tee "$OUT/pretext.log"
timeout 150 $PY bench/bench_superres.py --device cuda --compile 2>&1 | tail -25 | tee "$OUT/superres.log"
cp bench/out/*.json "$OUT/" 2>/dev/null; ls "$OUT"
