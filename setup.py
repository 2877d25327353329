"Package set-up, read from settings.ini (the nbdev 2 convention)."
from configparser import ConfigParser
from pathlib import Path
import shutil
import setuptools
from setuptools.command.build_py import build_py

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
c = cfg['DEFAULT']

def _split(key): return c.get(key, '').split()

class BuildPyWithCatalog(build_py):
    "build_py that also ships catalogs/atmodist.yaml (the one source of the catalog) as atmodist_nb/catalogs/atmodist.yaml."
    def run(self):
        super().run()
        dst = Path(self.build_lib) / c['lib_path'] / 'catalogs'
        dst.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path('catalogs') / 'atmodist.yaml', dst / 'atmodist.yaml')

setuptools.setup(
    name=c['lib_name'], version=c['version'], description=c['description'],
    long_description=open('README.md', encoding='utf-8').read(), long_description_content_type='text/markdown',
    author=c['author'], author_email=c['author_email'], license='Apache-2.0', url=c['git_url'],
    packages=setuptools.find_packages(include=[c['lib_path'], c['lib_path'] + '.*']),
    include_package_data=True, package_data={c['lib_path']: ['assets/*.*', 'assets/*/*']},   # the data shipped with the package
    cmdclass={'build_py': BuildPyWithCatalog},
    install_requires=_split('requirements'), extras_require={'dev': _split('dev_requirements')},
    python_requires='>=' + c['min_python'], zip_safe=False,
    entry_points={'console_scripts': _split('console_scripts'), 'nbdev': [f"{c['lib_path']}={c['lib_path']}._modidx:d"]},
    keywords=c['keywords'].split(), project_urls={'Source': c['git_url']},
    classifiers=['Programming Language :: Python :: 3', 'License :: OSI Approved :: Apache Software License',
                 'Intended Audience :: Science/Research', 'Topic :: Scientific/Engineering :: Atmospheric Science'],
)
