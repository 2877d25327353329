"HURDAT2 reader on the real 1970-2018 Atlantic record (skipped where the copy is absent) and on a 2022-format excerpt."
import re
import numpy as np, pandas as pd
import pytest
from atmodist_nb.core import AtmoError
from atmodist_nb.data.hurdat2 import (HURDAT2_COLUMNS, default_hurdat2_path, great_circle_km, read_hurdat2,
                                      storm_summary, synoptic)

REAL = default_hurdat2_path()
needs_real = pytest.mark.skipif(REAL is None,
                                reason='shared HURDAT2 copy (../shared/data beside the checkout) not present')

@pytest.fixture(scope='module')
def real():
    return read_hurdat2(REAL)

@needs_real
def test_real_file_parses_completely(real):
    text = REAL.read_text(encoding='utf-8').splitlines()
    headers = [l for l in text if re.match(r'^[A-Z]{2}\d{6},', l)]
    assert len(headers) == 797 and real.storm_id.nunique() == 797
    assert len(real) == sum(1 for l in text if l.strip()) - len(headers)   # every data line became a row
    announced = {h.split(',')[0]: int(h.split(',')[2]) for h in headers}
    assert real.groupby('storm_id').size().to_dict() == announced
    assert list(real.columns) == HURDAT2_COLUMNS

@needs_real
def test_real_file_values(real):
    assert real.lat.between(7, 71).all() and real.lon.between(-110, 14).all()        # the Atlantic basin
    assert real.time.min() == pd.Timestamp('1970-05-17 18:00') and real.time.max().year == 2018
    assert real.max_wind.dropna().between(10, 165).all() and real.min_pressure.dropna().between(880, 1025).all()
    assert real.max_wind.isna().sum() == 58                                       # the -99 unknown winds
    s = storm_summary(real)
    assert s.loc['AL252005', 'min_pressure'] == 882 and s.loc['AL041980', 'max_wind'] == 165
    assert s.loc['AL041992', ['name', 'max_wind', 'min_pressure']].tolist() == ['ANDREW', 150, 922]
    steps = synoptic(real).groupby('storm_id').time.diff().dropna()
    assert (steps >= pd.Timedelta('6h')).all()
    # consecutive fixes of one storm are never implausibly far apart (< 1000 km in 6 h)
    g = real.groupby('storm_id')
    d = great_circle_km(real.lat, real.lon, g.lat.shift(-1), g.lon.shift(-1))
    assert np.nanmax(d) < 1000

NEW = """\
AL092022,                IAN,      3,
20220923, 0600,  , TD, 13.7N,  72.6W,  30, 1006,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,   60,
20220928, 1905, L, HU, 26.7N,  82.2W, 130,  941,  130,  160,  110,   90,   60,   60,   40,   40,   40,   30,   25,   20,   10,
20221001, 0000,  , EX, 37.0N,  77.5W,  30, 1000, -999, -999, -999, -999, -999, -999, -999, -999, -999, -999, -999, -999, -999,
"""

def test_newer_format_excerpt(tmp_path):
    p = tmp_path / 'hurdat2-2022.txt'; p.write_text(NEW)
    df = read_hurdat2(p)
    assert len(df) == 3 and df.rmw.iloc[:2].tolist() == [60.0, 10.0] and np.isnan(df.rmw.iloc[2])
    assert df.record.tolist() == ['', 'L', ''] and df.lon.iloc[1] == -82.2
    assert df.time.iloc[1] == pd.Timestamp('2022-09-28 19:05') and df.r64_nw.iloc[1] == 20 and df.r34_ne.iloc[1] == 130
    assert df.min_pressure.iloc[2] == 1000 and np.isnan(df.r34_ne.iloc[2])

def test_bad_input(tmp_path):
    with pytest.raises(AtmoError, match='not found'): read_hurdat2(tmp_path / 'missing.txt')
    p = tmp_path / 'h.txt'; p.write_text(NEW.replace('72.6W', '72.6'))
    with pytest.raises(AtmoError, match=r'line 2: malformed fix line'): read_hurdat2(p)
    p.write_text(NEW.replace('IAN,      3', 'IAN,      5'))
    with pytest.raises(AtmoError, match='announces 5 fixes but 3 follow'): read_hurdat2(p)
