# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the get-pip.py that ansible-test downloads.

ansible-test bootstraps pip into each sanity virtualenv by running
``~/.ansible/test/cache/get_pip_<version>.py`` and downloads that file from
ci-files.testing.ansible.com when it is missing. scripts/run-sanity copies
this file there instead, next to a pip wheel, so the bootstrap needs no
download. Like get-pip.py it runs ``pip install --upgrade --force-reinstall``
with the arguments it is given (the pinned ``pip==<version>``, fetched from
the package index like every other sanity requirement).
"""

from __future__ import annotations

import glob
import os
import sys

# get-pip.py options that pip itself does not know.
GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")


def find_pip_wheel() -> str:
    """Return the pip wheel stored next to this file."""
    here = os.path.dirname(os.path.abspath(__file__))
    wheels = sorted(glob.glob(os.path.join(here, "pip-*.whl")))
    if not wheels:
        sys.exit(f"no pip wheel next to {__file__}: run scripts/run-sanity to seed it")
    return wheels[-1]


def main() -> int:
    """Install the requested packages with pip run from the stored wheel."""
    sys.path.insert(0, find_pip_wheel())
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel

    arguments = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    return pip_main(["install", "--upgrade", "--force-reinstall", *arguments])


if __name__ == "__main__":
    sys.exit(main())
