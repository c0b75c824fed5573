# Sourced by bin/serve, bin/test and .ci/run: the pinned uv and the locked virtual environment.
# Needs only python3 (3.11, with venv and pip); everything else is installed from the lock file.

UV_VERSION=0.13.9
# Never let uv fetch a Python build of its own: the machine's python3 is the one we use.
export UV_PYTHON_DOWNLOADS=never
# Trust the machine's certificate store, as pip and curl do (a company proxy's CA lives there).
export UV_SYSTEM_CERTS="${UV_SYSTEM_CERTS:-1}"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# Sets UV to a uv of the pinned version: the one on PATH if it is that version, otherwise one
# installed (once) into a small virtual environment in the user's cache, outside the project.
find_uv() {
    if command -v uv >/dev/null 2>&1 && [ "$(uv --version | cut -d' ' -f2)" = "$UV_VERSION" ]; then
        UV=$(command -v uv)
        return
    fi
    local home="${XDG_CACHE_HOME:-$HOME/.cache}/consilium/uv-$UV_VERSION"
    if [ ! -x "$home/bin/uv" ]; then
        say "Installing uv $UV_VERSION into $home"
        python3 -m venv "$home"
        "$home/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
    fi
    UV="$home/bin/uv"
}

# Creates or updates .venv exactly as uv.lock says (with the dev group: tests, ruff, playwright).
# Bytecode is compiled at install (16 s once, then under a second): where PYTHONDONTWRITEBYTECODE
# is set, as on our CI machines, every process would otherwise compile the libraries it imports
# from source again (importing Django and the statistics libraries: 5.3 s, 1.7 s with bytecode).
sync_venv() {
    find_uv
    say "Installing dependencies from uv.lock into .venv"
    "$UV" sync --frozen --quiet --compile-bytecode
}
