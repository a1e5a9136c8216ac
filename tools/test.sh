#!/bin/bash
# The whole test suite, from a fresh Debian 12 machine: installs what is
# missing, builds, runs unit tests, fuzz replay, the Apache::Test suite,
# and all of it again under AddressSanitizer/UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
make test
