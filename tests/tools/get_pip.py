# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the get-pip.py that ansible-test downloads to bootstrap pip in its venvs.

Where only the package index is reachable, ansible-test cannot fetch its bootstrap script.
This one does the same job with what Python ships: ensurepip, then ``pip install`` of the
packages ansible-test asks for (pip itself at its pinned version) from the index.
"""

import subprocess
import sys


# get-pip.py's own options; pip install does not know them (it installs only what it is told).
GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")


def main():
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"],
                          stdout=subprocess.DEVNULL)
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade"] + args))


if __name__ == "__main__":
    main()
